"""The one NinjaAPI instance: every app contributes a router; OpenAPI at /api/v1/docs."""

from ninja import NinjaAPI

from checklists.api import router as checklists_router
from evidence.api import router as evidence_router

api = NinjaAPI(title="Gatehouse API", version="1", urls_namespace="api-1", docs_url="/docs")
api.add_router("/", evidence_router)
api.add_router("/", checklists_router)
