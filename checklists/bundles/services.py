"""Writes for evidence bundles: request, build (job), export to a file, stream, and record every download."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from checklists.bundles.archive import Pipe
from checklists.bundles.builder import BundleBuilder, BundleResult
from checklists.bundles.models import BundleExport
from checklists.bundles.selectors import (
    BundleError,
    BundleScope,
    bundle_artifact_bytes,
    bundle_plan,
    bundle_scope_check,
)
from ledger.services import ledger_append, ledger_record

logger = logging.getLogger(__name__)
_PROGRESS_EVERY_S = 0.5


def bundle_scope_resolve(scope: BundleScope) -> BundleScope:
    """Check a scope and fix its sample seed, so the same request always yields the same sample."""
    bundle_scope_check(scope)
    if scope.release_id is None and scope.seed is None:
        scope = replace(scope, seed=secrets.randbelow(2**31))
    return scope


def bundle_dir() -> Path:
    path = Path(settings.GATEHOUSE_BUNDLE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def bundle_request(*, scope: BundleScope, actor: str, user=None) -> BundleExport:
    """Record a bundle request and queue its build (after commit); the scope is checked and its seed fixed."""
    scope = bundle_scope_resolve(scope)
    export = BundleExport.objects.create(kind=scope.kind, scope=scope.as_dict(), requested_by=user, actor=actor,
                                         bytes_total=bundle_artifact_bytes(scope))  # fmt: skip
    ledger_append(actor=actor, action="bundle.requested", subject_type="bundle", subject_id=export.pk,
                  data={"scope": export.scope})  # fmt: skip
    transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(export_id: int) -> None:
    from checklists.bundles import jobs

    try:
        jobs.enqueue_build(export_id)
    except Exception as exc:  # Redis down: say so on the page rather than leave it "queued" forever
        logger.warning("could not queue bundle %s: %s", export_id, exc)
        BundleExport.objects.filter(pk=export_id).update(
            status=BundleExport.Status.FAILED, error=f"the job queue is unavailable ({exc}); request it again"
        )


class _Progress:
    """Writes the builder's progress to the row at most twice a second (a DB write per chunk would be wasteful)."""

    def __init__(self, export_id: int) -> None:
        self.export_id = export_id
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= _PROGRESS_EVERY_S or done >= total:
            self.last = now
            BundleExport.objects.filter(pk=self.export_id).update(bytes_done=done, bytes_total=total)


def bundle_build(*, export_id: int) -> BundleExport:
    """Build a requested bundle into GATEHOUSE_BUNDLE_DIR; idempotent (a ready bundle is left alone).

    Failures are recorded on the row (and in the ledger) with a message a person can act on.
    """
    export = BundleExport.objects.get(pk=export_id)
    if export.status == BundleExport.Status.READY:
        return export
    BundleExport.objects.filter(pk=export.pk).update(status=BundleExport.Status.BUILDING, error="", bytes_done=0)
    name = f"bundle-{export.pk}-{secrets.token_hex(8)}.zip"
    partial = bundle_dir() / f"{name}.part"
    try:
        plan = bundle_plan(BundleScope.from_dict(export.scope))
        BundleExport.objects.filter(pk=export.pk).update(bytes_total=plan.artifact_bytes)
        with open(partial, "wb") as target:
            builder = BundleBuilder(plan, target, actor=export.actor, created_at=timezone.now(),
                                    progress=_Progress(export.pk))  # fmt: skip
            result = builder.run()
        os.replace(partial, bundle_dir() / name)
    except BundleError as exc:
        partial.unlink(missing_ok=True)
        return _failed(export, exc.message)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        _failed(export, f"the bundle could not be built ({exc.__class__.__name__}); see the worker log")
        raise
    return _ready(export, name, result)


@transaction.atomic
def _ready(export: BundleExport, name: str, result: BundleResult) -> BundleExport:
    export.status, export.file_name, export.finished_at = BundleExport.Status.READY, name, timezone.now()
    export.size = (bundle_dir() / name).stat().st_size
    export.manifest_sha256, export.bytes_done = result.manifest_sha256, result.artifact_bytes
    export.save(update_fields=["status", "file_name", "finished_at", "size", "manifest_sha256", "bytes_done"])
    ledger_append(actor=export.actor, action="bundle.built", subject_type="bundle", subject_id=export.pk,
                  data={"scope": export.scope, "manifest_sha256": result.manifest_sha256, "size": export.size,
                        "ledger_head_seq": result.head_seq})  # fmt: skip
    return export


@transaction.atomic
def _failed(export: BundleExport, message: str) -> BundleExport:
    export.status, export.error, export.finished_at = BundleExport.Status.FAILED, message, timezone.now()
    export.save(update_fields=["status", "error", "finished_at"])
    ledger_append(actor=export.actor, action="bundle.failed", subject_type="bundle", subject_id=export.pk,
                  data={"scope": export.scope, "error": message})  # fmt: skip
    return export


def bundles_expire(*, now: datetime | None = None) -> int:
    """Remove bundle files kept longer than GATEHOUSE_BUNDLE_KEEP_DAYS; returns how many expired.

    The export row and its ledger entries stay (who built what, with which manifest hash); only the file
    goes, and the page offers to request it again. Leftover ``.part`` files of builds that died are removed too.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.GATEHOUSE_BUNDLE_KEEP_DAYS)
    expired = 0
    for export in BundleExport.objects.filter(status=BundleExport.Status.READY, finished_at__lt=cutoff):
        with transaction.atomic():
            BundleExport.objects.filter(pk=export.pk).update(status=BundleExport.Status.EXPIRED)
            ledger_append(actor="gatehouse", action="bundle.expired", subject_type="bundle", subject_id=export.pk,
                          data={"manifest_sha256": export.manifest_sha256, "size": export.size})  # fmt: skip
        (bundle_dir() / export.file_name).unlink(missing_ok=True)
        expired += 1
    for partial in bundle_dir().glob("*.part"):
        # A build writes its .part continuously: one untouched for a day belongs to a worker that died.
        if partial.stat().st_mtime < time.time() - 86400:
            partial.unlink(missing_ok=True)
    return expired


def bundle_download_record(*, export: BundleExport, actor: str) -> None:
    """Record who downloaded which bundle (the entry's time is when): scope and manifest hash."""
    ledger_record(
        actor=actor,
        action="bundle.downloaded",
        subject_type="bundle",
        subject_id=export.pk,
        data={"scope": export.scope, "manifest_sha256": export.manifest_sha256, "delivery": "file"},
    )


def bundle_export_file(*, scope: BundleScope, out: Path, actor: str) -> BundleResult:
    """Build a bundle straight into ``out`` (the command line's path) and record the export in the ledger."""
    scope = bundle_scope_resolve(scope)
    partial = out.with_name(out.name + ".part")
    try:
        with open(partial, "wb") as target:
            result = BundleBuilder(bundle_plan(scope), target, actor=actor, created_at=timezone.now()).run()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)
    ledger_record(actor=actor, action="bundle.exported", subject_type="bundle", subject_id=out.name,
                  data={"scope": scope.as_dict(), "manifest_sha256": result.manifest_sha256})  # fmt: skip
    return result


def bundle_stream(*, scope: BundleScope, actor: str) -> Iterator[bytes]:
    """The zip's bytes as they are written, for a small bundle sent straight to the browser.

    Refusals (BundleError) happen here, before the response starts; the download is recorded once the
    last byte went out (a client that hangs up got no bundle).
    """
    scope = bundle_scope_resolve(scope)
    pipe = Pipe()
    builder = BundleBuilder(bundle_plan(scope), pipe, actor=actor, created_at=timezone.now())
    builder.begin()
    return _streamed(builder, pipe, scope, actor)


def _streamed(builder: BundleBuilder, pipe: Pipe, scope: BundleScope, actor: str) -> Iterator[bytes]:
    for _ in builder.steps():
        chunk = pipe.drain()
        if chunk:
            yield chunk
    yield pipe.drain()
    ledger_record(actor=actor, action="bundle.downloaded", subject_type="bundle", subject_id="streamed",
                  data={"scope": scope.as_dict(), "manifest_sha256": builder.result.manifest_sha256,
                        "delivery": "stream"})  # fmt: skip
