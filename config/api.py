"""The one NinjaAPI instance: every app contributes a router; OpenAPI at /api/v1/docs."""

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from checklists.api import router as checklists_router
from checklists.bundles.api import router as bundles_router
from evidence.api import router as evidence_router
from metrics.api import router as metrics_router

api = NinjaAPI(title="Gatehouse API", version="1", urls_namespace="api-1", docs_url="/docs")
api.add_router("/", evidence_router)
api.add_router("/", checklists_router)
api.add_router("/", metrics_router)
api.add_router("/", bundles_router)


@api.exception_handler(DataError)
def refuse_unstorable_values(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A value PostgreSQL cannot store (a NUL byte in text, a number out of range) is the caller's error."""
    reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "invalid value"
    return api.create_response(request, {"detail": f"a value cannot be stored: {reason}"}, status=422)
