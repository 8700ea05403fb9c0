"""The bundles API: request a bundle (built by a job), follow its status, download it."""

from __future__ import annotations

from datetime import date, datetime

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from access.auth import ReadSessionAuth, TokenAuth, request_actor
from access.models import Scope
from checklists.bundles.models import BundleExport
from checklists.bundles.selectors import BundleError, BundleScope, bundle_may_export, bundle_scope_in_grant
from checklists.bundles.services import bundle_dir, bundle_download_record, bundle_request
from checklists.models import Release
from releases.models import Service

router = Router(tags=["bundles"])


class BundleIn(Schema):
    release: int | None = Field(None, description="a release id: a release bundle")
    services: list[str] = Field(default_factory=list, description="service slugs: a period bundle")
    date_from: date | None = Field(None, alias="from", description="first day of the period (UTC)")
    date_to: date | None = Field(None, alias="to", description="last day of the period, inclusive")
    seed: int | None = Field(None, ge=0, description="sample seed; chosen and recorded when absent")
    size: int = Field(25, ge=1, le=1000, description="sample size")


class BundleOut(Schema):
    id: int
    kind: str
    scope: dict
    status: str
    progress_pct: int
    bytes_done: int
    bytes_total: int
    manifest_sha256: str
    size: int | None
    error: str
    requested_at: datetime
    finished_at: datetime | None
    status_url: str
    download_url: str


class Refusal(Schema):
    detail: str


def _services(scope: BundleScope) -> list[Service]:
    if scope.release_id:
        release = Release.objects.filter(pk=scope.release_id).select_related("service").first()
        return [release.service] if release else []
    return list(Service.objects.filter(slug__in=scope.services))


def _allowed(request: HttpRequest, scope: BundleScope) -> bool:
    """A token needs the releases scope for every service in the bundle; a person must be an exporter."""
    token = getattr(request, "api_token", None)
    if token is not None:
        return all(token.allows(scope=Scope.RELEASES, service=service) for service in _services(scope))
    return bundle_may_export(request.user) and bundle_scope_in_grant(request.user, scope)


def _out(export: BundleExport) -> dict:
    return {
        **{name: getattr(export, name) for name in ("id", "kind", "scope", "status", "progress_pct", "bytes_done",
                                                     "bytes_total", "manifest_sha256", "size", "error",
                                                     "requested_at", "finished_at")},
        "status_url": reverse("api-1:bundle_status", args=[export.pk]),
        "download_url": reverse("api-1:bundle_file", args=[export.pk]),
    }  # fmt: skip


@router.post("/bundles", auth=[TokenAuth(), ReadSessionAuth()], response={202: BundleOut, 403: Refusal, 404: Refusal,
                                                                           409: Refusal, 422: Refusal},
             summary="Request an evidence bundle (a release, or services over a period); a job builds it")  # fmt: skip
def bundle_post(request: HttpRequest, payload: BundleIn):
    scope = BundleScope(release_id=payload.release, services=tuple(payload.services), date_from=payload.date_from,
                        date_to=payload.date_to, seed=payload.seed, size=payload.size)  # fmt: skip
    if not _allowed(request, scope):
        return Status(403, {"detail": "not allowed to export evidence for this scope"})
    user = request.user if request.user.is_authenticated else None
    try:
        export = bundle_request(scope=scope, actor=request_actor(request), user=user)
    except BundleError as exc:
        return Status(exc.status, {"detail": exc.message})
    return Status(202, _out(export))


def _export_for(request: HttpRequest, bundle_id: int) -> BundleExport:
    export = get_object_or_404(BundleExport, pk=bundle_id)
    if not _allowed(request, BundleScope.from_dict(export.scope)):
        raise HttpError(404, "Not Found")
    return export


@router.get("/bundles/{bundle_id}", auth=[TokenAuth(), ReadSessionAuth()], response=BundleOut,
            url_name="bundle_status", summary="A bundle's build status and progress")  # fmt: skip
def bundle_get(request: HttpRequest, bundle_id: int):
    return _out(_export_for(request, bundle_id))


@router.get("/bundles/{bundle_id}/download", auth=[TokenAuth(), ReadSessionAuth()],
            response={200: None, 404: Refusal, 409: Refusal}, url_name="bundle_file",
            summary="The finished bundle (application/zip); every download is recorded in the ledger")  # fmt: skip
def bundle_file(request: HttpRequest, bundle_id: int):
    export = _export_for(request, bundle_id)
    if export.status != BundleExport.Status.READY:
        return Status(409, {"detail": f"the bundle is {export.status}, not ready"})
    path = bundle_dir() / export.file_name
    if not path.is_file():
        return Status(404, {"detail": "the bundle file is no longer kept; request it again"})
    bundle_download_record(export=export, actor=request_actor(request))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"gatehouse-bundle-{export.pk}.zip",
                        content_type="application/zip")  # fmt: skip
