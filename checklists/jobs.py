"""django-rq jobs for releases: thin wrappers that take primary keys and call services."""

from __future__ import annotations

import logging

import django_rq
from django.conf import settings
from django.urls import reverse

from checklists.models import Release
from checklists.services import releases_reevaluate_expired_waivers, releases_reevaluate_for_commit
from releases.github.client import github_configured

logger = logging.getLogger(__name__)
STATUS_CONTEXT = "gatehouse/release-checklist"


def enqueue_evaluation(commit_id: int) -> None:
    django_rq.get_queue("default").enqueue(evaluate_commit_releases, commit_id, job_id=f"evaluate-commit-{commit_id}")


def evaluate_commit_releases(commit_id: int) -> int:
    return releases_reevaluate_for_commit(commit_id=commit_id)


def reevaluate_expired_waivers() -> int:
    """Run by the RQ cron scheduler: expired waivers come back visibly."""
    return releases_reevaluate_expired_waivers()


def enqueue_status_publish(release_id: int) -> None:
    if github_configured():
        django_rq.get_queue("default").enqueue(publish_release_status, release_id)


def release_verdict(release: Release) -> tuple[str, str]:
    """The GitHub commit status (state, description) for a release."""
    if release.status == Release.Status.APPROVED:
        return "success", f"{release.version} approved by {release.approved_by.get_username()}"
    states = list(release.items.values_list("item_id", "state"))
    failing = [item for item, state in states if state == "fail"]
    pending = [item for item, state in states if state == "pending"]
    if failing:
        return "failure", f"{len(failing)} failing: {', '.join(failing)}"[:140]
    if pending:
        return "pending", f"{len(pending)} pending: {', '.join(pending)}"[:140]
    return "pending", "every item passes or is waived; waiting for approval"


def publish_release_status(release_id: int) -> str:
    """Post the verdict as a commit status so branch protection can require it."""
    from releases.github.client import github_client

    release = Release.objects.select_related("service", "commit", "approved_by").get(pk=release_id)
    if not release.service.repository:
        return "no repository"
    state, description = release_verdict(release)
    target = settings.GATEHOUSE_PUBLIC_URL.rstrip("/") + reverse("release-detail", args=[release.pk])
    commit = github_client().get_repo(release.service.repository).get_commit(release.commit.sha)
    commit.create_status(state=state, target_url=target, description=description, context=STATUS_CONTEXT)
    return state
