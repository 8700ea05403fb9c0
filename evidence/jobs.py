"""django-rq jobs for evidence: thin wrappers that take primary keys and call services."""

from __future__ import annotations

import django_rq
from django.conf import settings
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from evidence.services import artifact_parse, artifacts_requeue

_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def parse_job_id(artifact_id: int) -> str:
    return f"parse-artifact-{artifact_id}"


def enqueue_parse(artifact_id: int) -> bool:
    """Queue the parse unless a job for this artifact is already waiting or running."""
    queue = django_rq.get_queue("ingest")
    job_id = parse_job_id(artifact_id)
    try:
        if Job.fetch(job_id, connection=queue.connection).get_status() in _LIVE:
            return False
    except NoSuchJobError:
        pass
    # Retries cover transient database errors; a parse error is recorded, not raised, so never retried.
    queue.enqueue(parse_artifact, artifact_id, job_id=job_id, retry=Retry(max=3, interval=[5, 30, 120]))
    return True


def parse_artifact(artifact_id: int) -> str:
    return artifact_parse(artifact_id=artifact_id).status


def requeue_pending_artifacts() -> int:
    """Run by the RQ cron scheduler (config/cron.py): nothing accepted while Redis was down is lost."""
    return artifacts_requeue(older_than_s=settings.GATEHOUSE_REQUEUE_AFTER_S)
