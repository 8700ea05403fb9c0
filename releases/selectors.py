"""Reads for services, commits, builds and pull requests (approval evidence, what a release changes)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, QuerySet

from releases.models import CheckRun, Commit, PullRequest, PullRequestCommit, Service

logger = logging.getLogger(__name__)


def service_list() -> QuerySet[Service]:
    return Service.objects.annotate(
        commit_count=Count("commits", distinct=True), last_activity=Max("commits__first_seen_at")
    ).order_by("slug")


def service_repositories() -> list[str]:
    """Every GitHub repository some service is built from, once each."""
    repositories = Service.objects.exclude(repository="").values_list("repository", flat=True)
    return sorted({repository.lower(): repository for repository in repositories}.values())


def service_recent_commits(*, service: Service, limit: int = 20) -> QuerySet[Commit]:
    return service.commits.order_by("-first_seen_at").prefetch_related("builds")[:limit]


def pull_request_newest_synced(*, service: Service) -> datetime | None:
    """The newest merge among PRs the sync has fully read (those with their commits recorded).

    Webhooks store PRs without their commits, so a PR they stored never moves the sync's starting point.
    """
    return PullRequest.objects.filter(service=service, merged_at__isnull=False, commits__isnull=False).aggregate(
        newest=Max("merged_at")
    )["newest"]


# A comment or a pending draft does not change a reviewer's verdict on GitHub; these do.
_VERDICT_STATES = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
_GREEN_CONCLUSIONS = {"success", "neutral", "skipped"}


@dataclass(frozen=True)
class ApprovalEvidence:
    """Who approved a pull request, whether the approval covers what was merged, and whether checks passed."""

    approved_by: list[str] = field(default_factory=list)  # latest verdict APPROVED, the author excluded
    approved_on_head: list[str] = field(default_factory=list)  # ... and given on the merged head commit
    checks_green: bool = False
    merged_by: str = ""
    approved: bool = False
    reasons: list[str] = field(default_factory=list)  # why `approved` or `checks_green` is False


def _latest_checks(pr: PullRequest) -> list[CheckRun]:
    shas = [sha for sha in (pr.head_sha, pr.merge_commit_sha) if sha]
    latest: dict[tuple[str, object], CheckRun] = {}
    for run in CheckRun.objects.filter(service_id=pr.service_id, head_sha__in=shas).order_by("external_id"):
        # A re-run is a new check run with the same name on the same commit: the newest one decides.
        # Check-suite rows (negative ids) are each their own verdict.
        key = (run.head_sha, run.name if run.external_id > 0 else run.external_id)
        latest[key] = run
    return list(latest.values())


def _check_reasons(runs: list[CheckRun]) -> list[str]:
    if not runs:
        return ["no check runs are recorded on the head or merge commit"]
    reasons = []
    for run in sorted(runs, key=lambda r: r.name):
        if run.status != "completed":
            reasons.append(f"check {run.name!r} on {run.head_sha[:12]} is {run.status or 'not started'}")
        elif run.conclusion not in _GREEN_CONCLUSIONS:
            reasons.append(f"check {run.name!r} on {run.head_sha[:12]} concluded {run.conclusion or 'nothing'}")
    return reasons


def pull_request_approval(pr: PullRequest) -> ApprovalEvidence:
    """The approval evidence of one pull request: an approval counts only on the merged head, not by the author."""
    author = pr.author.lower()
    verdicts = {}
    for review in pr.reviews.order_by("submitted_at", "external_id"):
        if review.state in _VERDICT_STATES:
            verdicts[review.reviewer.lower()] = review
    approvals = {who: review for who, review in verdicts.items() if review.state == "APPROVED"}
    approved_by = sorted(review.reviewer for who, review in approvals.items() if who != author)
    on_head = sorted(
        review.reviewer
        for who, review in approvals.items()
        if who != author and pr.head_sha and review.commit_id == pr.head_sha
    )
    reasons = []
    if author in approvals:
        reasons.append(f"{pr.author} approved their own pull request; that does not count")
    if not pr.head_sha:
        reasons.append("the head commit of the pull request is unknown, so no approval can be matched to it")
    for who, review in sorted(approvals.items()):
        if who != author and pr.head_sha and review.commit_id != pr.head_sha:
            reasons.append(
                f"{review.reviewer} approved an earlier commit ({review.commit_id[:12] or 'unknown'}), "
                f"not the merged head {pr.head_sha[:12]}"
            )
    for _who, review in sorted(verdicts.items()):
        if review.state == "CHANGES_REQUESTED":
            reasons.append(f"{review.reviewer} requested changes")
    if not approved_by:
        reasons.append("nobody other than the author approved it")
    check_reasons = _check_reasons(_latest_checks(pr))
    return ApprovalEvidence(
        approved_by=approved_by,
        approved_on_head=on_head,
        checks_green=not check_reasons,
        merged_by=pr.merged_by,
        approved=bool(on_head),
        reasons=([] if on_head else reasons) + check_reasons,
    )


def _landing(service: Service, sha: str) -> list[PullRequest]:
    """The merged PR(s) that brought ``sha`` in: by merge commit, else the first PR containing it as a commit."""
    merged = PullRequest.objects.filter(service=service, merged_at__isnull=False)
    by_merge_commit = list(merged.filter(merge_commit_sha=sha))
    if by_merge_commit:
        return by_merge_commit
    first = merged.filter(commits__sha=sha).order_by("merged_at", "number").first()
    return [first] if first else []


def _moment(service: Service, sha: str) -> tuple[datetime | None, list[PullRequest]]:
    """When ``sha`` landed (its PR's merge, else the commit's own time) and the PRs that landed it."""
    landing = _landing(service, sha)
    if landing:
        return max(pr.merged_at for pr in landing), landing
    commit = Commit.objects.filter(service=service, sha=sha).first()
    if commit is not None:
        return commit.committed_at or commit.authored_at, []
    return None, []


def release_changes(*, service: Service, from_sha: str | None, to_sha: str) -> list[PullRequest]:
    """The merged PRs a release of ``to_sha`` adds after the release of ``from_sha``, oldest first.

    Ordered by merge time: after the PR (or commit) of ``from_sha``, up to and including that of
    ``to_sha``, on the same base branch as ``to_sha``'s PR. A first release (``from_sha`` None) is a
    baseline: only the PR that landed ``to_sha`` is charged to it, not the whole history.
    """
    upper, to_prs = _moment(service, to_sha)
    if upper is None:
        return []
    if from_sha is None:
        return sorted(to_prs, key=lambda pr: (pr.merged_at, pr.number))
    lower, _ = _moment(service, from_sha)
    if lower is None:
        logger.warning("release_changes: %s has no PR or commit time for %s; treated as a baseline", service, from_sha)
        return sorted(to_prs, key=lambda pr: (pr.merged_at, pr.number))
    changes = PullRequest.objects.filter(service=service, merged_at__gt=lower, merged_at__lte=upper)
    base_refs = {pr.base_ref for pr in to_prs if pr.base_ref}
    if base_refs:
        # A PR merged into another branch (a release-branch backport, a feature branch) is not in this release.
        changes = changes.filter(base_ref__in=base_refs)
    return list(changes.order_by("merged_at", "number"))


def change_authors(prs: Iterable[PullRequest]) -> set[str]:
    """Everyone who authored a change: the PR authors and the authors of their original commits."""
    prs = list(prs)
    authors = {pr.author for pr in prs}
    authors |= set(
        PullRequestCommit.objects.filter(pull_request__in=[pr.pk for pr in prs]).values_list("author", flat=True)
    )
    authors.discard("")
    return authors
