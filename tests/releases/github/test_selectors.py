"""Approval evidence and the changes of a release, from rows as the sync and the webhooks store them."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

import pytest

from releases.models import CheckRun, Commit, PullRequest, PullRequestCommit, Review
from releases.selectors import (
    change_authors,
    pull_request_approval,
    pull_request_newest_synced,
    release_changes,
    service_repositories,
)
from releases.services import service_create

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def sha(tag: str) -> str:
    return hashlib.sha1(tag.encode()).hexdigest()


def make_pr(service, number: int, *, author="alice", head=None, merge=None, hours=0, base="main", commits=()):
    pr = PullRequest.objects.create(
        service=service, number=number, author=author, state="closed", base_ref=base,
        head_sha=sha(f"head-{number}") if head is None else head,
        merge_commit_sha=sha(f"merge-{number}") if merge is None else merge,
        merged_at=T0 + timedelta(hours=hours), merged_by="mallory",
    )  # fmt: skip
    for commit_sha, commit_author in commits:
        PullRequestCommit.objects.create(pull_request=pr, sha=commit_sha, author=commit_author)
    return pr


def review(pr, reviewer: str, state: str, *, on: str | None = None, minutes: int = 0) -> None:
    Review.objects.create(
        pull_request=pr, external_id=Review.objects.count() + 1, reviewer=reviewer, state=state,
        commit_id=pr.head_sha if on is None else on, submitted_at=T0 - timedelta(hours=1) + timedelta(minutes=minutes),
    )  # fmt: skip


def check(pr_or_sha, name: str, conclusion: str = "success", *, status="completed", external_id=None) -> None:
    head = pr_or_sha if isinstance(pr_or_sha, str) else pr_or_sha.head_sha
    CheckRun.objects.create(
        service=service_of(head), external_id=external_id or CheckRun.objects.count() + 100, head_sha=head,
        name=name, status=status, conclusion=conclusion,
    )  # fmt: skip


def service_of(head_sha: str):
    pr = PullRequest.objects.filter(head_sha=head_sha).first() or PullRequest.objects.get(merge_commit_sha=head_sha)
    return pr.service


@pytest.fixture
def pr(service):
    return make_pr(service, 1, author="alice")


def test_an_approval_on_the_merged_head_by_someone_else(pr):
    review(pr, "bob", "APPROVED")
    check(pr, "ci")
    evidence = pull_request_approval(pr)
    assert evidence.approved and evidence.checks_green
    assert (evidence.approved_by, evidence.approved_on_head, evidence.merged_by) == (["bob"], ["bob"], "mallory")
    assert evidence.reasons == []


def test_a_stale_approval_on_an_earlier_commit_does_not_count(pr):
    review(pr, "bob", "APPROVED", on=sha("earlier"))
    review(pr, "carol", "COMMENTED", minutes=5)
    evidence = pull_request_approval(pr)
    assert not evidence.approved and evidence.approved_by == ["bob"] and evidence.approved_on_head == []
    assert f"bob approved an earlier commit ({sha('earlier')[:12]}), not the merged head {pr.head_sha[:12]}" in (
        evidence.reasons
    )


def test_the_authors_own_approval_does_not_count(pr):
    review(pr, "Alice", "APPROVED")  # logins are case-insensitive
    evidence = pull_request_approval(pr)
    assert not evidence.approved and evidence.approved_by == []
    assert evidence.reasons[:2] == [
        "alice approved their own pull request; that does not count",
        "nobody other than the author approved it",
    ]


@pytest.mark.parametrize(
    ("states", "approved"),
    [
        (["APPROVED", "COMMENTED"], True),  # a later comment does not withdraw an approval (as on GitHub)
        (["APPROVED", "CHANGES_REQUESTED"], False),
        (["CHANGES_REQUESTED", "APPROVED"], True),
        (["APPROVED", "DISMISSED"], False),
        (["COMMENTED"], False),
    ],
)
def test_the_latest_verdict_of_each_reviewer_decides(pr, states, approved):
    for minutes, state in enumerate(states):
        review(pr, "bob", state, minutes=minutes)
    evidence = pull_request_approval(pr)
    assert evidence.approved is approved
    if states[-1] == "CHANGES_REQUESTED":
        assert "bob requested changes" in evidence.reasons


def test_a_pull_request_without_a_known_head(service):
    pr = make_pr(service, 2, head="")
    review(pr, "bob", "APPROVED", on=sha("x"))
    evidence = pull_request_approval(pr)
    assert not evidence.approved
    assert "the head commit of the pull request is unknown, so no approval can be matched to it" in evidence.reasons


def test_checks_need_at_least_one_run_and_every_latest_run_green(pr):
    evidence = pull_request_approval(pr)
    assert not evidence.checks_green
    assert "no check runs are recorded on the head or merge commit" in evidence.reasons

    check(pr, "lint", "neutral")
    check(pr, "docs", "skipped")
    check(pr, "test", "failure", external_id=500)
    assert not pull_request_approval(pr).checks_green
    check(pr, "test", "success", external_id=501)  # the re-run decides
    assert pull_request_approval(pr).checks_green

    check(pr.merge_commit_sha, "post-merge build", "", status="in_progress")
    evidence = pull_request_approval(pr)
    assert not evidence.checks_green
    assert f"check 'post-merge build' on {pr.merge_commit_sha[:12]} is in_progress" in evidence.reasons


def test_a_failed_check_suite_row_is_not_masked_by_green_runs(pr):
    check(pr, "test", "success")
    check(pr, "check suite: github-actions", "failure", external_id=-7)
    check(pr, "check suite: github-actions", "success", external_id=-8)
    evidence = pull_request_approval(pr)
    assert not evidence.checks_green
    assert f"check 'check suite: github-actions' on {pr.head_sha[:12]} concluded failure" in evidence.reasons


@pytest.fixture
def history(service):
    """main: a merge-commit PR, a squash merge, a release-branch backport, a rebase merge, a later PR."""
    merge_commit = make_pr(service, 10, author="alice", hours=1,
                           commits=[(sha("10a"), "alice"), (sha("10b"), "alice")])  # fmt: skip
    # Squash: the merge commit is new; the original commits (two authors) are kept.
    squash = make_pr(service, 11, author="bob", hours=2, commits=[(sha("11a"), "bob"), (sha("11b"), "Erin Example")])
    backport = make_pr(service, 12, author="dave", hours=3, base="release/1.0", commits=[(sha("12a"), "dave")])
    # Rebase: the merge SHA is the last rebased commit, which is none of the original commits.
    rebase = make_pr(service, 13, author="carol", hours=4, merge=sha("13b-rebased"),
                     commits=[(sha("13a"), "carol"), (sha("13b"), "carol")])  # fmt: skip
    later = make_pr(service, 14, author="erin", hours=5)
    return {"merge": merge_commit, "squash": squash, "backport": backport, "rebase": rebase, "later": later}


def test_release_changes_between_two_releases(service, history):
    prs = release_changes(service=service, from_sha=history["merge"].merge_commit_sha, to_sha=sha("13b-rebased"))
    assert prs == [history["squash"], history["rebase"]]  # the backport went to another branch
    assert change_authors(prs) == {"bob", "Erin Example", "carol"}


def test_a_squash_merge_is_found_by_its_merge_commit(service, history):
    squash = history["squash"]
    assert squash.merge_commit_sha not in {sha("11a"), sha("11b")}
    assert release_changes(service=service, from_sha=None, to_sha=squash.merge_commit_sha) == [squash]
    assert release_changes(service=service, from_sha=history["merge"].merge_commit_sha,
                           to_sha=squash.merge_commit_sha) == [squash]  # fmt: skip


def test_a_release_at_an_original_commit_of_a_merge_commit_pr(service, history):
    assert release_changes(service=service, from_sha=None, to_sha=sha("10b")) == [history["merge"]]
    assert release_changes(service=service, from_sha=sha("10a"), to_sha=sha("13b")) == [
        history["squash"], history["rebase"]]  # fmt: skip


def test_a_first_release_is_a_baseline(service, history):
    assert release_changes(service=service, from_sha=None, to_sha=history["later"].merge_commit_sha) == [
        history["later"]
    ]


def test_a_release_of_a_backport_counts_the_release_branch_only(service, history):
    prs = release_changes(service=service, from_sha=history["merge"].merge_commit_sha,
                          to_sha=history["backport"].merge_commit_sha)  # fmt: skip
    assert prs == [history["backport"]]


def test_commits_without_a_pull_request_bound_by_their_own_time(service, history):
    Commit.objects.create(service=service, sha=sha("direct-push"), committed_at=T0 + timedelta(hours=2, minutes=30))
    Commit.objects.create(service=service, sha=sha("timeless"))
    prs = release_changes(service=service, from_sha=sha("direct-push"), to_sha=history["later"].merge_commit_sha)
    assert prs == [history["rebase"], history["later"]]
    # Up to a direct push: every PR merged before it on any branch (no PR tells the branch).
    prs = release_changes(service=service, from_sha=history["merge"].merge_commit_sha, to_sha=sha("direct-push"))
    assert prs == [history["squash"]]
    assert release_changes(service=service, from_sha=None, to_sha=sha("direct-push")) == []
    assert release_changes(service=service, from_sha=None, to_sha=sha("timeless")) == []


def test_unknown_commits(service, history, caplog):
    assert release_changes(service=service, from_sha=None, to_sha=sha("unknown")) == []
    with caplog.at_level(logging.WARNING, logger="releases.selectors"):
        prs = release_changes(service=service, from_sha=sha("unknown"), to_sha=history["rebase"].merge_commit_sha)
    assert prs == [history["rebase"]] and "treated as a baseline" in caplog.text


def test_the_sync_cursor_ignores_pull_requests_stored_by_webhooks_alone(service):
    assert pull_request_newest_synced(service=service) is None
    make_pr(service, 1, hours=1, commits=[(sha("1a"), "alice")])
    make_pr(service, 2, hours=9)  # from a webhook: no commits yet
    assert pull_request_newest_synced(service=service) == T0 + timedelta(hours=1)


def test_service_repositories(db):
    service_create(slug="a", repository="acme/api")
    service_create(slug="b", repository="ACME/api")
    service_create(slug="c", repository="acme/web")
    service_create(slug="d")
    assert sorted(r.lower() for r in service_repositories()) == ["acme/api", "acme/web"]
