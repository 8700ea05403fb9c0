"""The artifact intake API (django-ninja): POST /api/v1/artifacts and its status URL."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from access.auth import ReadSessionAuth, TokenAuth, request_actor
from access.models import Scope
from evidence.models import Artifact
from evidence.parsers.registry import KINDS
from evidence.selectors import artifact_visible_to
from evidence.services import IntakeError, Upload, artifact_receive
from evidence.storage import iter_stream

router = Router(tags=["artifacts"])

# Requests can carry a little multipart framing around the file.
_FRAMING_ALLOWANCE = 64 * 1024


class ArtifactAccepted(Schema):
    id: int
    sha256: str
    kind: str
    format: str
    status: str
    status_url: str


class ArtifactStatus(Schema):
    id: int
    sha256: str
    size: int
    service: str
    commit: str
    kind: str
    format: str
    status: str
    error: str
    received_at: datetime
    parsed_at: datetime | None
    summary: dict | None
    url: str


class ArtifactRef(Schema):
    id: int
    sha256: str
    status: str


class Refusal(Schema):
    detail: str
    artifact: ArtifactRef | None = None


_UPLOAD_DOC = {
    "parameters": [
        {"in": "query", "name": name, "required": name in ("service", "commit"), "schema": {"type": "string"},
         "description": text}
        for name, text in [
            ("service", "service slug"),
            ("commit", "full 40-hex commit SHA"),
            ("kind", f"one of {', '.join(KINDS)}; detected from the content when absent"),
            ("build", "CI run id"),
            ("environment", "environment name (created when first named)"),
        ]
    ] + [{"in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"}}],
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"},
                                          "service": {"type": "string"}, "commit": {"type": "string"},
                                          "kind": {"type": "string"}, "build": {"type": "string"},
                                          "environment": {"type": "string"}}},
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    },
}  # fmt: skip


def _accepted(artifact: Artifact) -> dict:
    return {
        "id": artifact.pk,
        "sha256": artifact.sha256,
        "kind": artifact.kind,
        "format": artifact.format,
        "status": artifact.status,
        "status_url": reverse("api-1:artifact_status", args=[artifact.pk]),
    }


@router.post(
    "/artifacts",
    auth=TokenAuth(),
    response={
        200: ArtifactAccepted,
        202: ArtifactAccepted,
        400: Refusal,
        403: Refusal,
        404: Refusal,
        413: Refusal,
        415: Refusal,
        422: Refusal,
    },
    openapi_extra=_UPLOAD_DOC,
    summary="Upload a CI artifact (multipart field `file`, or the raw body)",
)
def artifact_upload(request: HttpRequest):
    limit = settings.GATEHOUSE_MAX_UPLOAD_BYTES
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > limit + _FRAMING_ALLOWANCE:
        raise HttpError(413, f"upload of {declared} bytes exceeds the {limit} byte limit (GATEHOUSE_MAX_UPLOAD_BYTES)")
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        fields = request.POST
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise HttpError(400, "multipart upload without a `file` field")
        chunks, name, media_type = uploaded.chunks(), uploaded.name, uploaded.content_type or ""
    else:
        fields = request.GET
        chunks, name, media_type = iter_stream(request), "", content_type
    merged = {
        key: fields.get(key) or request.GET.get(key, "")
        for key in ("service", "commit", "kind", "build", "environment")
    }
    missing = [key for key in ("service", "commit") if not merged[key]]
    if missing:
        raise HttpError(400, f"missing required field(s): {', '.join(missing)}")
    upload = Upload(
        service=merged["service"],
        commit=merged["commit"].lower(),
        kind=merged["kind"],
        build=merged["build"],
        environment=merged["environment"],
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        original_name=name or "",
        media_type=media_type,
        content_encoding=request.headers.get("Content-Encoding", ""),
    )
    try:
        artifact, created = artifact_receive(upload=upload, chunks=chunks, actor=request_actor(request),
                                             token=request.auth)  # fmt: skip
    except IntakeError as exc:
        ref = (
            {"id": exc.artifact.pk, "sha256": exc.artifact.sha256, "status": exc.artifact.status}
            if exc.artifact
            else None
        )
        return Status(exc.status, {"detail": exc.message, "artifact": ref})
    return Status(202 if created else 200, _accepted(artifact))


@router.get("/artifacts/{artifact_id}", auth=[TokenAuth(), ReadSessionAuth()], response=ArtifactStatus,
            url_name="artifact_status", summary="An artifact's parse status and summary")  # fmt: skip
def artifact_status(request: HttpRequest, artifact_id: int):
    artifact = get_object_or_404(Artifact.objects.select_related("service", "commit"), pk=artifact_id)
    if not artifact_visible_to(artifact, token=getattr(request, "api_token", None), user=request.user,
                               scope=Scope.INGEST):  # fmt: skip
        raise HttpError(404, "Not Found")
    evidence = getattr(artifact, "evidence", None) if artifact.status == Artifact.Status.PARSED else None
    return {
        "id": artifact.pk,
        "sha256": artifact.sha256,
        "size": artifact.size,
        "service": artifact.service.slug,
        "commit": artifact.commit.sha,
        "kind": artifact.kind,
        "format": artifact.format,
        "status": artifact.status,
        "error": artifact.error,
        "received_at": artifact.received_at,
        "parsed_at": artifact.parsed_at,
        "summary": evidence.summary if evidence else None,
        "url": artifact.get_absolute_url(),
    }
