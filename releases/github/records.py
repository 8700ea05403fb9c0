"""Writes of GitHub records (pull requests, their commits, reviews, check runs, commits).

Shared by the sync and the webhooks so both upsert on the same natural keys and audit the same way.
Every function runs in a transaction; a pull request that is new or changed gets a ledger entry in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from ledger.services import ledger_append
from releases.github.payloads import CheckRunData, CommitData, PullRequestData, ReviewData
from releases.models import CheckRun, Commit, PullRequest, PullRequestCommit, Review, Service

M = TypeVar("M", bound=models.Model)


def _upsert(model: type[M], *, lookup: dict[str, Any], values: dict[str, Any]) -> tuple[M, bool, list[str]]:
    """update_or_create that writes only when something differs: ``(row, created, changed field names)``.

    Not writing unchanged rows keeps a repeated sync or webhook a true no-op (no ledger entry, no auto_now bump).
    """
    row = model.objects.select_for_update().filter(**lookup).first()
    if row is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent writer may have created it meanwhile
                return model.objects.create(**lookup, **values), True, sorted(values)
        except IntegrityError:
            row = model.objects.select_for_update().get(**lookup)
    changed = sorted(field for field, value in values.items() if getattr(row, field) != value)
    if changed:
        for field in changed:
            setattr(row, field, values[field])
        row.save()
    return row, False, changed


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def pull_request_upsert(*, service: Service, data: PullRequestData, actor: str) -> tuple[PullRequest, bool]:
    """Create or update the pull request; a ledger entry records it only when it is new or changed.

    Returns ``(pull_request, written)``.
    """
    values = data.model_values()
    existing = PullRequest.objects.filter(service=service, number=data.number).only("merged_at").first()
    if existing is not None and existing.merged_at and not data.merged_at:
        # A merge is final on GitHub: a payload without it predates it (an out-of-order or replayed
        # delivery) and must not un-merge the pull request or move its head.
        return PullRequest.objects.get(pk=existing.pk), False
    pull_request, created, changed = _upsert(
        PullRequest, lookup={"service": service, "number": data.number}, values=values
    )
    if created or changed:
        ledger_append(
            actor=actor,
            action="pull_request.synced",
            subject_type="pull_request",
            subject_id=f"{service.slug}#{data.number}",
            data={
                "repository": service.repository,
                "number": data.number,
                "created": created,
                "changed": {field: _jsonable(values[field]) for field in changed},
            },
        )
    return pull_request, bool(created or changed)


@transaction.atomic
def pull_request_ensure(*, service: Service, data: PullRequestData, actor: str) -> PullRequest:
    """The pull request, created from ``data`` only when unknown.

    For payloads that carry a partial pull request (a review's lacks merged_by): they must not overwrite.
    """
    existing = PullRequest.objects.filter(service=service, number=data.number).first()
    if existing:
        return existing
    return pull_request_upsert(service=service, data=data, actor=actor)[0]


@transaction.atomic
def pull_request_commits_store(*, pull_request: PullRequest, commits: Iterable[CommitData]) -> int:
    """Record the PR's original commits; returns how many rows were written.

    Rows are never deleted: a squash or rebase merge rewrites history, and separation of duties must
    still see who wrote the original commits (even ones later force-pushed away).
    """
    written = 0
    for commit in commits:
        if not commit.sha:
            continue
        values = {"author": commit.author, "authored_at": commit.authored_at}
        _, created, changed = _upsert(
            PullRequestCommit, lookup={"pull_request": pull_request, "sha": commit.sha}, values=values
        )
        written += bool(created or changed)
    return written


@transaction.atomic
def review_upsert(*, pull_request: PullRequest, data: ReviewData) -> bool:
    """Create or update one review by its GitHub id; True when a row was written."""
    _, created, changed = _upsert(
        Review, lookup={"pull_request": pull_request, "external_id": data.external_id}, values=data.model_values()
    )
    return bool(created or changed)


@transaction.atomic
def check_run_upsert(*, service: Service, data: CheckRunData) -> bool:
    """Create or update one check run by its GitHub id; True when a row was written."""
    if not data.head_sha:
        return False
    _, created, changed = _upsert(
        CheckRun, lookup={"service": service, "external_id": data.external_id}, values=data.model_values()
    )
    return bool(created or changed)


@transaction.atomic
def commit_upsert(*, service: Service, data: CommitData) -> bool:
    """Create the commit or fill in what is now known about it; True when a row was written."""
    if not data.sha:
        return False
    _, created, changed = _upsert(Commit, lookup={"service": service, "sha": data.sha}, values=data.model_values())
    return bool(created or changed)
