"""django-rq jobs for releases: thin wrappers that call services."""

from __future__ import annotations

import hashlib
import re

import django_rq
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from releases.github.client import github_configured
from releases.github.sync import github_sync
from releases.selectors import service_repositories

_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def sync_job_id(repo: str) -> str:
    # RQ ids allow letters, digits, _ and -; the hash keeps "a.b" and "a_b" apart.
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", repo.lower())
    return f"github-sync-{readable}-{hashlib.sha256(repo.lower().encode()).hexdigest()[:8]}"


def enqueue_sync(repo: str) -> bool:
    """Queue a sync of the repository unless one is already waiting or running."""
    queue = django_rq.get_queue("default")
    job_id = sync_job_id(repo)
    try:
        if Job.fetch(job_id, connection=queue.connection).get_status() in _LIVE:
            return False
    except NoSuchJobError:
        pass
    # Retries cover network errors; a rate limit is not an error (the run stops and the next one resumes).
    queue.enqueue(sync_repository, repo, job_id=job_id, retry=Retry(max=2, interval=[60, 300]))
    return True


def sync_repository(repo: str) -> str:
    return str(github_sync(repo=repo))


def sync_all_repositories() -> int:
    """Run by the RQ cron scheduler (config/cron.py): queue a sync of every repository a service uses."""
    if not github_configured():
        return 0  # a developer machine without GitHub credentials must not poll api.github.com anonymously
    return sum(enqueue_sync(repo) for repo in service_repositories())
