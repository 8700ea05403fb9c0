"""GitHub JSON (REST responses and webhook payloads share one schema) -> plain dataclasses. No ORM here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

_SHA = re.compile(r"^[0-9a-f]{40}$")
# Model column widths: GitHub allows longer refs and names than we keep.
_SHORT = 200

REVIEW_STATES = {"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"}


def sha_or_blank(value: Any) -> str:
    """A full lowercase SHA, or "" for anything else (GitHub fixtures and test merges carry odd values)."""
    text = str(value or "").strip().lower()
    return text if _SHA.match(text) else ""


def when(value: Any) -> datetime | None:
    """An aware datetime from GitHub's ISO 8601 strings (or a datetime PyGithub already parsed)."""
    if isinstance(value, datetime):
        return value
    return parse_datetime(value) if value else None


def login(user: Any) -> str:
    """The login of a GitHub user object; deleted accounts arrive as null and show as "ghost" on GitHub."""
    if isinstance(user, dict):
        return str(user.get("login") or "")[:_SHORT]
    return ""


@dataclass(frozen=True)
class PullRequestData:
    number: int
    title: str
    body: str
    author: str
    state: str
    created_at: datetime | None
    merged_at: datetime | None
    merged_by: str
    head_sha: str
    head_ref: str
    merge_commit_sha: str
    base_ref: str
    labels: tuple[str, ...] = ()
    updated_at: datetime | None = None

    @property
    def is_revert(self) -> bool:
        # GitHub's "Revert" button writes exactly this title and body; `git revert` writes the body line.
        return self.title.startswith('Revert "') or "This reverts commit" in self.body

    @property
    def is_hotfix(self) -> bool:
        return self.head_ref.startswith("hotfix/") or any(label.strip().lower() == "hotfix" for label in self.labels)

    def model_values(self) -> dict[str, Any]:
        """The PullRequest columns this data decides."""
        return {
            "title": self.title,
            "author": self.author,
            "state": self.state[:20],
            "created_at": self.created_at,
            "merged_at": self.merged_at,
            "merged_by": self.merged_by,
            "head_sha": self.head_sha,
            "merge_commit_sha": self.merge_commit_sha,
            "base_ref": self.base_ref,
            "is_revert": self.is_revert,
            "is_hotfix": self.is_hotfix,
        }


def pull_request_from_json(data: dict[str, Any]) -> PullRequestData:
    """A pull request from GET /pulls/{n} or a webhook's ``pull_request`` object."""
    head = data.get("head") or {}
    base = data.get("base") or {}
    merged_at = when(data.get("merged_at"))
    return PullRequestData(
        number=int(data["number"]),
        title=data.get("title") or "",
        body=data.get("body") or "",
        author=login(data.get("user")),
        state=data.get("state") or "",
        created_at=when(data.get("created_at")),
        merged_at=merged_at,
        merged_by=login(data.get("merged_by")),
        head_sha=sha_or_blank(head.get("sha")),
        head_ref=head.get("ref") or "",
        # Before a merge GitHub reports a throw-away test merge commit here: only a real merge's SHA is kept.
        merge_commit_sha=sha_or_blank(data.get("merge_commit_sha")) if merged_at else "",
        base_ref=(base.get("ref") or "")[:_SHORT],
        labels=tuple(label.get("name") or "" for label in data.get("labels") or [] if isinstance(label, dict)),
        updated_at=when(data.get("updated_at")),
    )


@dataclass(frozen=True)
class ReviewData:
    external_id: int
    reviewer: str
    state: str
    commit_id: str
    submitted_at: datetime | None

    def model_values(self) -> dict[str, Any]:
        return {
            "reviewer": self.reviewer,
            "state": self.state,
            "commit_id": self.commit_id,
            "submitted_at": self.submitted_at,
        }


def review_from_json(data: dict[str, Any]) -> ReviewData:
    """A review from GET /pulls/{n}/reviews or a webhook's ``review`` (webhooks spell the state in lowercase)."""
    return ReviewData(
        external_id=int(data["id"]),
        reviewer=login(data.get("user")) or "ghost",
        state=str(data.get("state") or "").upper()[:30],
        commit_id=sha_or_blank(data.get("commit_id")),
        submitted_at=when(data.get("submitted_at")),
    )


@dataclass(frozen=True)
class CheckRunData:
    external_id: int
    head_sha: str
    name: str
    status: str
    conclusion: str
    started_at: datetime | None
    completed_at: datetime | None

    def model_values(self) -> dict[str, Any]:
        return {
            "head_sha": self.head_sha,
            "name": self.name,
            "status": self.status,
            "conclusion": self.conclusion,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
        }


def check_run_from_json(data: dict[str, Any]) -> CheckRunData:
    """A check run from GET /commits/{sha}/check-runs or a ``check_run`` webhook."""
    return CheckRunData(
        external_id=int(data["id"]),
        head_sha=sha_or_blank(data.get("head_sha")),
        name=str(data.get("name") or "")[:300],
        status=str(data.get("status") or "")[:30],
        conclusion=str(data.get("conclusion") or "")[:30],
        started_at=when(data.get("started_at")),
        completed_at=when(data.get("completed_at")),
    )


def check_suite_from_json(data: dict[str, Any]) -> CheckRunData:
    """A ``check_suite`` webhook as one summary row per suite.

    A suite's verdict covers only its own app's runs, so it must not overwrite other runs on the same
    commit (a green suite would mask another app's red run). It is stored as a row of its own; its id
    is negated so it can never collide with a check run id in the same (service, external_id) space.
    """
    app = data.get("app") or {}
    return CheckRunData(
        external_id=-int(data["id"]),
        head_sha=sha_or_blank(data.get("head_sha")),
        name=f"check suite: {app.get('slug') or app.get('name') or 'unknown app'}"[:300],
        status=str(data.get("status") or "")[:30],
        conclusion=str(data.get("conclusion") or "")[:30],
        started_at=when(data.get("created_at")),
        completed_at=when(data.get("updated_at")) if data.get("status") == "completed" else None,
    )


@dataclass(frozen=True)
class CommitData:
    sha: str
    message: str = ""
    author: str = ""
    authored_at: datetime | None = None
    committed_at: datetime | None = None

    def model_values(self) -> dict[str, Any]:
        """Only what is known: an empty value never overwrites one recorded earlier."""
        values = {
            "message": self.message,
            "author": self.author,
            "authored_at": self.authored_at,
            "committed_at": self.committed_at,
        }
        return {key: value for key, value in values.items() if value not in ("", None)}


def commit_from_rest_json(data: dict[str, Any]) -> CommitData:
    """A commit from GET /commits/{sha} or GET /pulls/{n}/commits: the GitHub login when the author has one."""
    git = data.get("commit") or {}
    git_author = git.get("author") or {}
    git_committer = git.get("committer") or {}
    return CommitData(
        sha=sha_or_blank(data.get("sha")),
        message=git.get("message") or "",
        author=(login(data.get("author")) or git_author.get("name") or "")[:_SHORT],
        authored_at=when(git_author.get("date")),
        committed_at=when(git_committer.get("date")),
    )


def commit_from_push_json(data: dict[str, Any]) -> CommitData:
    """A commit listed in a ``push`` webhook (author username when GitHub matched the email to an account)."""
    author = data.get("author") or {}
    return CommitData(
        sha=sha_or_blank(data.get("id")),
        message=data.get("message") or "",
        author=(author.get("username") or author.get("name") or "")[:_SHORT],
        authored_at=when(data.get("timestamp")),
    )
