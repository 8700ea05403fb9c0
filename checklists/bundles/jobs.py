"""django-rq jobs for evidence bundles: thin wrappers that take primary keys and call services."""

from __future__ import annotations

import django_rq

from checklists.bundles.services import bundle_build, bundles_expire


def enqueue_build(export_id: int) -> None:
    # The default queue, never ingest: a long export must not delay "uploaded -> parsed".
    django_rq.get_queue("default").enqueue(build_bundle, export_id, job_id=f"bundle-{export_id}", job_timeout=3 * 3600)


def build_bundle(export_id: int) -> str:
    return bundle_build(export_id=export_id).status


def expire_bundles() -> int:
    """Run hourly by the RQ cron scheduler (config/cron.py): remove bundle files past their keep time."""
    return bundles_expire()
