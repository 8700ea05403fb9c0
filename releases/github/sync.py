"""Sync merged pull requests (commits, reviews, check runs) from the GitHub REST API.

Webhooks are the fast path; this is the backstop that makes the record complete. It is idempotent
(natural-key upserts that write only differences), resumable (pull requests are stored oldest-first,
each in its own transaction, so a stopped run leaves a clean prefix and the next run starts from the
newest one stored) and stops cleanly on GitHub's rate limit instead of sleeping for an hour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from github import GithubException, RateLimitExceededException
from github.Commit import Commit as GithubCommit
from github.Repository import Repository

from releases.github.client import github_client
from releases.github.payloads import (
    CheckRunData,
    CommitData,
    PullRequestData,
    ReviewData,
    commit_from_rest_json,
    pull_request_from_json,
    review_from_json,
    sha_or_blank,
)
from releases.github.records import (
    check_run_upsert,
    commit_upsert,
    pull_request_commits_store,
    pull_request_upsert,
    review_upsert,
)
from releases.models import Service
from releases.selectors import pull_request_newest_synced

logger = logging.getLogger(__name__)

ACTOR = "github-sync"
# Re-read this much before the newest stored merge: it covers clock skew, a webhook that stored a later
# PR while an earlier one was missed, and check runs that finish on the merge commit after the merge.
RESYNC_OVERLAP = timedelta(hours=24)
# A pull request costs about six requests; below this many left, stop rather than fail half-way.
MIN_REMAINING_REQUESTS = 20


class SyncError(Exception):
    """The sync cannot start (no service has that repository)."""


@dataclass
class SyncReport:
    repo: str
    since: datetime | None
    found: int = 0
    synced: int = 0
    pull_requests_written: int = 0
    commits_written: int = 0
    reviews_written: int = 0
    check_runs_written: int = 0
    stopped: str = ""
    services: list[str] = field(default_factory=list)

    @property
    def rate_limited(self) -> bool:
        return bool(self.stopped)

    def __str__(self) -> str:
        since = f" updated since {self.since:%Y-%m-%d %H:%M} UTC" if self.since else ""
        line = (
            f"{self.repo}: {self.synced} of {self.found} merged pull requests{since} synced; written: "
            f"{self.pull_requests_written} pull requests, {self.commits_written} commits, "
            f"{self.reviews_written} reviews, {self.check_runs_written} check runs"
        )
        return f"{line}; {self.stopped}" if self.stopped else line


@dataclass(frozen=True)
class _Fetched:
    """Everything read from GitHub for one pull request, before anything is written."""

    pull_request: PullRequestData
    commits: list[CommitData]
    reviews: list[ReviewData]
    check_runs: list[CheckRunData]
    merge_commit: CommitData | None


def _default_since(services: list[Service]) -> datetime | None:
    newest = [pull_request_newest_synced(service=service) for service in services]
    if any(value is None for value in newest):
        return None  # never synced: read the whole history
    return min(newest) - RESYNC_OVERLAP


def _merged_pull_requests(repository: Repository, since: datetime | None) -> list[int]:
    """Numbers of the merged PRs updated since ``since``, oldest first (so a stopped run leaves a clean prefix).

    Only numbers are kept: a first sync lists the whole history, and each PR is fetched in full anyway.
    """
    found = []
    for pr in repository.get_pulls(state="closed", sort="updated", direction="desc"):
        if since and pr.updated_at < since:
            break  # sorted by updated, newest first: the rest is older
        if pr.merged_at is not None:
            found.append(pr.number)
    found.reverse()
    return found


def _commit_data(commit: GithubCommit) -> CommitData:
    # Built from the listed attributes: commit.raw_data would fetch every commit again.
    git_author = commit.commit.author
    return CommitData(
        sha=sha_or_blank(commit.sha),
        author=(commit.author.login if commit.author else git_author.name or "")[:200],
        authored_at=git_author.date,
    )


def _check_runs(repository: Repository, sha: str) -> list[CheckRunData]:
    runs = []
    for run in repository.get_commit(sha).get_check_runs():
        runs.append(
            CheckRunData(
                external_id=run.id,
                head_sha=sha_or_blank(run.head_sha),
                name=(run.name or "")[:300],
                status=run.status or "",
                conclusion=run.conclusion or "",
                started_at=run.started_at,
                completed_at=run.completed_at,
            )
        )
    return runs


def _missing(exc: GithubException) -> bool:
    # 404: not visible to us; 422: GitHub no longer has that commit (e.g. a force-pushed head).
    return exc.status in (404, 422)


def _fetch(repository: Repository, number: int) -> _Fetched:
    pr = repository.get_pull(number)
    data = pull_request_from_json(pr.raw_data)  # the full PR: a listed one has no merged_by
    commits = [_commit_data(commit) for commit in pr.get_commits()]
    reviews = [review_from_json(review.raw_data) for review in pr.get_reviews()]
    merge_commit = None
    if data.merge_commit_sha:
        try:
            merge_commit = commit_from_rest_json(repository.get_commit(data.merge_commit_sha).raw_data)
        except GithubException as exc:
            if not _missing(exc):
                raise
            merge_commit = CommitData(sha=data.merge_commit_sha)
    check_runs = []
    for sha in dict.fromkeys(filter(None, [data.head_sha, data.merge_commit_sha])):
        try:
            check_runs += _check_runs(repository, sha)
        except GithubException as exc:
            if not _missing(exc):
                raise
    return _Fetched(data, commits, reviews, check_runs, merge_commit)


@transaction.atomic
def _store(service: Service, fetched: _Fetched, report: SyncReport) -> None:
    pull_request, written = pull_request_upsert(service=service, data=fetched.pull_request, actor=ACTOR)
    report.pull_requests_written += written
    report.commits_written += pull_request_commits_store(pull_request=pull_request, commits=fetched.commits)
    for review in fetched.reviews:
        report.reviews_written += review_upsert(pull_request=pull_request, data=review)
    for run in fetched.check_runs:
        report.check_runs_written += check_run_upsert(service=service, data=run)
    if fetched.merge_commit:
        report.commits_written += commit_upsert(service=service, data=fetched.merge_commit)


def _reset_at(client, exc: GithubException | None = None) -> int:
    """When the rate limit resets (epoch seconds, 0 unknown): the refusal's own headers are the freshest."""
    headers = {key.lower(): value for key, value in ((exc.headers if exc else None) or {}).items()}
    try:
        return int(float(headers["x-ratelimit-reset"]))
    except (KeyError, TypeError, ValueError):
        return client.requester.rate_limiting_resettime if exc is None else 0


def _rate_limit_note(reset: int, done: int, total: int) -> str:
    at = f", resets at {datetime.fromtimestamp(reset, UTC):%H:%M} UTC" if reset else ""
    return (
        f"stopped by the GitHub rate limit after {done} of {total} pull requests{at}; "
        f"the next run resumes from the newest pull request stored"
    )


def github_sync(*, repo: str, since: datetime | None = None) -> SyncReport:
    """Upsert the repository's merged pull requests updated since ``since`` into every service using it.

    ``since`` defaults to the newest merge already synced minus RESYNC_OVERLAP (everything when none).
    """
    services = list(Service.objects.filter(repository__iexact=repo).order_by("slug"))
    if not services:
        raise SyncError(f"no service has repository {repo!r}; set it on the service first")
    if since is None:
        since = _default_since(services)
    report = SyncReport(repo=repo, since=since, services=[service.slug for service in services])
    client = github_client()
    repository = client.get_repo(repo)
    try:
        candidates = _merged_pull_requests(repository, since)
        report.found = len(candidates)
        for number in candidates:
            remaining = client.requester.rate_limiting[0]
            if 0 <= remaining < MIN_REMAINING_REQUESTS:  # -1: the server sends no rate-limit headers
                report.stopped = _rate_limit_note(_reset_at(client), report.synced, report.found)
                break
            fetched = _fetch(repository, number)
            for service in services:
                _store(service, fetched, report)
            report.synced += 1
    except GithubException as exc:
        # 403 with a rate-limit message (RateLimitExceededException), or GitHub's other answer, 429.
        if not isinstance(exc, RateLimitExceededException) and exc.status != 429:
            raise
        report.stopped = _rate_limit_note(_reset_at(client, exc), report.synced, report.found)
    logger.info("github sync: %s", report)
    return report
