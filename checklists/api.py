"""The releases API: CI/CD creates a release and reads its verdict."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from access.auth import ReadSessionAuth, TokenAuth, request_actor
from access.models import Scope
from access.scope import audit_scope
from checklists.models import Release
from checklists.selectors import release_as_dict
from checklists.services import ReleaseError, release_create
from releases.models import Service

router = Router(tags=["releases"])


class ReleaseIn(Schema):
    service: str
    version: str
    commit: str
    checklist: str = "release-v1"


class ItemOut(Schema):
    id: str
    title: str
    state: str
    figure: str
    evidence: list[str]
    manual: bool
    soc2: list[str]


class ReleaseOut(Schema):
    id: int
    service: str
    version: str
    commit: str
    checklist: str
    status: str
    url: str
    items: list[ItemOut]


class Refusal(Schema):
    detail: str


@router.post("/releases", auth=TokenAuth(), response={200: ReleaseOut, 201: ReleaseOut, 403: Refusal, 404: Refusal,
                                                       409: Refusal, 422: Refusal},
             summary="Create a release (idempotent on service + version) and evaluate its checklist")  # fmt: skip
def release_post(request: HttpRequest, payload: ReleaseIn):
    service = Service.objects.filter(slug=payload.service).first()
    if service is None:
        return Status(404, {"detail": f"unknown service {payload.service!r}"})
    if not request.auth.allows(scope=Scope.RELEASES, service=service):
        return Status(403, {"detail": f"this token may not create releases for {service.slug!r}"})
    try:
        release, created = release_create(service=service, version=payload.version, commit_sha=payload.commit.lower(),
                                           checklist_name=payload.checklist, actor=request_actor(request))  # fmt: skip
    except ReleaseError as exc:
        return Status(exc.status, {"detail": exc.message})
    return Status(201 if created else 200, release_as_dict(release))


@router.get("/releases/{release_id}", auth=[TokenAuth(), ReadSessionAuth()], response=ReleaseOut,
            summary="A release with every checklist item's state, deciding figure and evidence")  # fmt: skip
def release_get(request: HttpRequest, release_id: int):
    release = get_object_or_404(Release.objects.select_related("service", "commit"), pk=release_id)
    token = getattr(request, "api_token", None)
    if token is not None and not token.allows(scope=Scope.RELEASES, service=release.service):
        raise HttpError(404, "Not Found")
    grant = audit_scope(request.user) if token is None else None
    if grant is not None and not grant.covers(service_id=release.service_id, moment=release.created_at):
        raise HttpError(404, "Not Found")
    return release_as_dict(release)
