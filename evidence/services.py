"""Writes for artifacts and evidence: receive (store raw, detect, queue) and parse (the loader)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from access.models import ApiToken, Scope
from evidence.models import Artifact, Evidence
from evidence.parsers.base import ListSink, ParseError
from evidence.parsers.head import describe_head, read_head
from evidence.parsers.jsonstream import seekable
from evidence.parsers.registry import KINDS, PARSERS, detect, parser_for, supported_formats_text
from evidence.signatures import attestation_verify
from evidence.sinks import CopySink
from evidence.storage import Spool, UploadTooLarge, open_payload, raw_open, raw_store, spool_open
from ledger.services import ledger_append
from releases.models import Service, sha_validator
from releases.services import build_get_or_create, commit_get_or_create, environment_get_or_create

logger = logging.getLogger(__name__)


class IntakeError(Exception):
    """An upload refused with an HTTP status and a message a person can act on.

    ``artifact`` is set when the raw bytes were kept (recorded as a failed artifact).
    """

    def __init__(self, status: int, message: str, artifact: Artifact | None = None):
        self.status = status
        self.message = message
        self.artifact = artifact
        super().__init__(message)


@dataclass(frozen=True)
class Upload:
    """What a caller says about the bytes it sends."""

    service: str
    commit: str
    kind: str = ""
    build: str = ""
    environment: str = ""
    idempotency_key: str = ""
    original_name: str = ""
    media_type: str = ""
    content_encoding: str = ""


@dataclass(frozen=True)
class Detection:
    kind: str
    format: str
    error: str = ""
    status: int = 0


def _service_for(upload: Upload, token: ApiToken | None) -> Service:
    service = Service.objects.filter(slug=upload.service).first()
    if service is None:
        raise IntakeError(404, f"unknown service {upload.service!r}; create it first (manage.py service_create)")
    if token is not None and not token.allows(scope=Scope.INGEST, service=service):
        raise IntakeError(403, f"this token may not upload artifacts for service {service.slug!r}")
    return service


def _validate(upload: Upload) -> None:
    try:
        sha_validator(upload.commit)
    except ValidationError:
        raise IntakeError(422, f"commit must be a full 40-character lowercase hex SHA, got {upload.commit!r}") from None
    if upload.kind and upload.kind not in KINDS:
        raise IntakeError(422, f"unknown kind {upload.kind!r}; supported kinds: {', '.join(KINDS)}")


def _parsers_accepting(head, kind: str) -> list:
    """Parsers of ``kind`` that read the whole (small) upload without error, for an explicit kind."""
    accepted = []
    for parser in PARSERS.values():
        if parser.kind != kind:
            continue
        try:
            parser().parse(io.BytesIO(head.raw), ListSink())
        except ParseError:
            continue
        accepted.append(parser)
    return accepted


def artifact_detect(spool: Spool, *, kind: str = "") -> Detection:
    """Recognise the format from the head of the upload (inflated when gzip), honouring an explicit kind."""
    try:
        with spool_open(spool) as raw:
            head = read_head(open_payload(raw))
    except ParseError as exc:  # a damaged gzip or UTF-16 stream
        return Detection(kind, "", str(exc), 422)
    candidates = detect(head)
    looks_like = describe_head(head)
    if kind:
        matching = [parser for parser in candidates if parser.kind == kind]
        if not matching and not candidates and head.complete:
            matching = _parsers_accepting(head, kind)  # e.g. "[]": a clean gitleaks report, unrecognisable alone
        if not matching and candidates:
            other = candidates[0]
            return Detection(kind, "", f"kind {kind!r} was given, but the content looks like {other.label} "
                             f"(kind {other.kind!r}); re-send with kind={other.kind} or without kind", 422)  # fmt: skip
        candidates = matching
    if not candidates:
        return Detection(kind, "", f"unsupported or unrecognised format: the upload looks like {looks_like}. "
                         f"Supported formats: {supported_formats_text()}", 415)  # fmt: skip
    if len(candidates) > 1:
        names = ", ".join(p.label for p in candidates)
        return Detection(kind, "", f"ambiguous content ({looks_like}) matches {names}; send kind to choose", 415)
    parser = candidates[0]
    if head.complete:
        # A small upload is read whole now, so malformed content is refused at once with a 422 (the
        # worker parses it again into rows; for large files the worker alone decides).
        try:
            parser().parse(io.BytesIO(head.raw), ListSink())
        except ParseError as exc:
            return Detection(parser.kind, parser.format, f"malformed {parser.label}: {exc}", 422)
    return Detection(parser.kind, parser.format)


def artifact_receive(*, upload: Upload, chunks: Iterable[bytes], actor: str, token: ApiToken | None = None):
    """Store an upload's raw bytes under their digest, record it, and queue it for parsing.

    Returns ``(artifact, created)``; the same bytes for the same service and commit (or a repeated
    Idempotency-Key) return the existing artifact. Refusals raise IntakeError; when the bytes were
    already read they are kept and the artifact is recorded as failed.
    """
    service = _service_for(upload, token)
    _validate(upload)
    if upload.idempotency_key:
        existing = Artifact.objects.filter(service=service, idempotency_key=upload.idempotency_key).first()
        if existing:
            return existing, False
    with Spool() as spool:
        try:
            spool.write_all(chunks)
        except UploadTooLarge as exc:
            raise IntakeError(413, str(exc)) from None
        if spool.size == 0:
            raise IntakeError(422, "empty upload: no bytes received")
        commit = commit_get_or_create(service=service, sha=upload.commit)
        existing = Artifact.objects.filter(service=service, commit=commit, sha256=spool.sha256).first()
        if existing:
            return existing, False
        raw_store(spool)  # the raw bytes are kept before anything is parsed
        detection = artifact_detect(spool, kind=upload.kind)
        artifact = _artifact_record(upload=upload, service=service, commit=commit, spool=spool,
                                    detection=detection, actor=actor, token=token)  # fmt: skip
    if detection.error:
        raise IntakeError(detection.status, detection.error, artifact)
    return artifact, True


@transaction.atomic
def _artifact_record(*, upload, service, commit, spool, detection, actor, token) -> Artifact:
    environment = environment_get_or_create(name=upload.environment, actor=actor) if upload.environment else None
    build = build_get_or_create(service=service, commit=commit, external_id=upload.build) if upload.build else None
    failed = bool(detection.error)
    artifact = Artifact.objects.create(
        sha256=spool.sha256,
        size=spool.size,
        media_type=upload.media_type[:200],
        content_encoding=upload.content_encoding[:20],
        original_name=upload.original_name[:255],
        kind=detection.kind,
        format=detection.format,
        service=service,
        commit=commit,
        build=build,
        environment=environment,
        uploaded_by=token,
        uploader=actor,
        idempotency_key=upload.idempotency_key[:200],
        status=Artifact.Status.FAILED if failed else Artifact.Status.QUEUED,
        error=detection.error,
    )
    ledger_append(
        actor=actor,
        action="artifact.received",
        subject_type="artifact",
        subject_id=artifact.pk,
        data={
            "sha256": artifact.sha256,
            "size": artifact.size,
            "service": service.slug,
            "commit": commit.sha,
            "kind": artifact.kind,
            "format": artifact.format,
            "refused": detection.error,
        },
    )
    if not failed:
        transaction.on_commit(lambda: artifact_enqueue(artifact_id=artifact.pk))
    return artifact


def artifact_enqueue(*, artifact_id: int) -> bool:
    """Put a parse job on the ingest queue; False (and nothing lost) when Redis is unreachable."""
    from evidence import jobs

    try:
        return jobs.enqueue_parse(artifact_id)
    except Exception as exc:
        logger.warning("could not queue artifact %s for parsing (%s); it will be requeued", artifact_id, exc)
        return False


def artifact_parse(*, artifact_id: int) -> Artifact:
    """Parse a stored artifact into evidence and detail rows, exactly once; failures are recorded."""
    with transaction.atomic():
        artifact = Artifact.objects.select_for_update().select_related("service", "commit").get(pk=artifact_id)
        if not artifact.is_pending:
            return artifact
        artifact.parse_attempts += 1
        error = ""
        summary: dict = {}
        try:
            with transaction.atomic():  # a savepoint: rows of a half-read report vanish with it
                evidence = Evidence.objects.create(
                    artifact=artifact, service=artifact.service, commit=artifact.commit,
                    kind=artifact.kind, format=artifact.format, summary={},
                )  # fmt: skip
                # The sink's COPY is open while the parser reads; leaving the block ends it either way.
                with CopySink(evidence) as sink, raw_open(artifact.sha256) as raw:
                    parsed = parser_for(artifact.format).parse(open_payload(raw), sink)
                summary = parsed.as_dict()
                if artifact.kind == "attestation":
                    summary["verified"] = _attestation_verified(artifact)
                evidence.summary = summary
                evidence.save(update_fields=["summary"])
        except ParseError as exc:
            error = str(exc)
        except DatabaseError:
            raise  # transient: the job is retried
        except (RecursionError, MemoryError, UnicodeError, ValueError, TypeError, KeyError) as exc:
            # A parser bug or a shape no parser expected must still leave a readable failure, never a crash loop.
            logger.exception("parser %s failed on artifact %s", artifact.format, artifact.pk)
            error = f"could not read this {artifact.format} file ({exc.__class__.__name__}: {str(exc)[:300]})"
        artifact.status = Artifact.Status.FAILED if error else Artifact.Status.PARSED
        artifact.error = error
        artifact.parsed_at = timezone.now()
        artifact.save(update_fields=["status", "error", "parsed_at", "parse_attempts"])
        ledger_append(
            actor="system",
            action="artifact.failed" if error else "artifact.parsed",
            subject_type="artifact",
            subject_id=artifact.pk,
            data={"sha256": artifact.sha256, **({"error": error} if error else {"summary": summary})},
        )
        if not error:
            transaction.on_commit(lambda: _evidence_arrived(artifact))
    return artifact


def _attestation_verified(artifact: Artifact) -> bool | None:
    """Signatures checked against the service's cosign key (None when it has none)."""
    if not artifact.service.cosign_public_key:
        return None
    with raw_open(artifact.sha256) as raw, seekable(open_payload(raw)) as payload:
        return attestation_verify(payload.read(), artifact.service.cosign_public_key)


def _evidence_arrived(artifact: Artifact) -> None:
    """Tell apps that react to new evidence (checklists re-evaluate) without importing them upward."""
    from evidence.signals import evidence_parsed

    evidence_parsed.send(sender=Artifact, artifact=artifact)


def artifacts_requeue(*, older_than_s: int) -> int:
    """Queue again every artifact still waiting for its parse after ``older_than_s`` seconds."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    pending = Artifact.objects.filter(
        status__in=[Artifact.Status.RECEIVED, Artifact.Status.QUEUED], received_at__lt=cutoff
    ).values_list("pk", flat=True)
    return sum(artifact_enqueue(artifact_id=pk) for pk in pending)
