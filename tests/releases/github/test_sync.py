"""github_sync against a loopback GitHub replaying recorded responses, through the real PyGithub client."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from github import BadCredentialsException

from ledger.models import LedgerEntry
from releases.github.sync import SyncError, github_sync
from releases.models import CheckRun, Commit, PullRequest, PullRequestCommit, Review
from releases.selectors import change_authors, pull_request_approval, release_changes
from tests.releases.github.conftest import PR21_MERGE, PR31_HEAD, PR31_MERGE, PR538_HEAD, PR538_MERGE

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]

RATE_LIMITED = {
    "message": "API rate limit exceeded for user ID 1.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}


def _rows() -> dict[str, int]:
    return {
        "pull_requests": PullRequest.objects.count(),
        "pr_commits": PullRequestCommit.objects.count(),
        "reviews": Review.objects.count(),
        "check_runs": CheckRun.objects.count(),
        "commits": Commit.objects.count(),
        "ledger": LedgerEntry.objects.count(),
    }


def test_sync_stores_merged_pull_requests_with_commits_reviews_and_checks(pygithub_repo, fake_github):
    report = github_sync(repo="PyGithub/PyGithub")

    assert (report.found, report.synced, report.pull_requests_written, report.stopped) == (2, 2, 2, "")
    assert set(PullRequest.objects.values_list("number", flat=True)) == {31, 538}  # the unmerged PR is skipped
    pr31 = PullRequest.objects.get(number=31)
    assert (pr31.author, pr31.merged_by, pr31.head_sha, pr31.merge_commit_sha) == (
        "jacquev6", "jacquev6", PR31_HEAD, PR31_MERGE)  # fmt: skip
    assert pr31.merged_at == datetime(2012, 5, 27, 10, 29, 7, tzinfo=UTC)
    assert pr31.base_ref == "topic/RewriteWithGeneratedCode" and not pr31.is_revert and not pr31.is_hotfix

    # Squash merge: the merge commit differs from the head, the original commits are kept.
    pr538 = PullRequest.objects.get(number=538)
    assert pr538.merge_commit_sha == PR538_MERGE != pr538.head_sha == PR538_HEAD
    assert sorted(pr538.commits.values_list("sha", flat=True)) == sorted(
        ["7a0fcb27b7cd6c346fc3f76216ccb6e0f4ca3bcc", "2f0e4e55fe87e38d26efc9aa1346f56abfbd6c52", PR538_HEAD]
    )
    assert change_authors([pr538]) == {"electrofelix", "sfdye", "Jane Doe"}
    # The recorded reviews: one APPROVED (jzelinskie, on an earlier commit) and four COMMENTED.
    assert sorted(pr538.reviews.values_list("reviewer", "state")) == [
        ("electrofelix", "COMMENTED"), ("jzelinskie", "APPROVED"),
        ("sfdye", "COMMENTED"), ("sfdye", "COMMENTED"), ("sfdye", "COMMENTED"),
    ]  # fmt: skip
    approval = pull_request_approval(pr538)
    assert approval.approved_by == ["jzelinskie"] and approval.approved_on_head == [] and not approval.approved
    assert any("approved an earlier commit (7a0fcb27b7cd)" in reason for reason in approval.reasons)
    # The recorded check runs on the head: three successes and one failure.
    assert CheckRun.objects.filter(head_sha=PR538_HEAD).count() == 4
    assert (
        not approval.checks_green and "check 'test (Python 3.6)' on 10a7135a04f7 concluded failure" in approval.reasons
    )
    assert approval.merged_by == "sfdye"

    merge_commit = Commit.objects.get(sha=PR538_MERGE)
    assert (merge_commit.author, merge_commit.message) == ("jacquev6", "Remove completion functions from GitAuthor")
    assert merge_commit.authored_at == datetime(2012, 5, 9, 16, 22, 33, tzinfo=UTC)
    # PR #31's merge commit is not recorded (404): its row exists with the SHA only.
    assert Commit.objects.get(sha=PR31_MERGE).author == ""

    assert release_changes(service=pygithub_repo, from_sha=None, to_sha=PR538_MERGE) == [pr538]
    entries = LedgerEntry.objects.filter(action="pull_request.synced")
    assert sorted(entries.values_list("subject_id", flat=True)) == ["pygithub#31", "pygithub#538"]
    assert {entry.actor for entry in entries} == {"github-sync"}

    # GitHub Enterprise prefix, token auth, and the listing asked for merged-state ordering by update.
    listing = fake_github.requests_to("/api/v3/repos/PyGithub/PyGithub/pulls")[0]
    assert "state=closed" in listing.path and "sort=updated" in listing.path and "direction=desc" in listing.path
    assert {seen.headers["Authorization"] for seen in fake_github.seen} == {"token test-token"}


def test_sync_is_idempotent(pygithub_repo, fake_github):
    github_sync(repo="PyGithub/PyGithub")
    before = _rows()
    synced_at = dict(PullRequest.objects.values_list("number", "synced_at"))

    report = github_sync(repo="PyGithub/PyGithub", since=datetime(2000, 1, 1, tzinfo=UTC))

    assert report.synced == 2
    assert (report.pull_requests_written, report.commits_written, report.reviews_written,
            report.check_runs_written) == (0, 0, 0, 0)  # fmt: skip
    assert _rows() == before  # no new rows, no new ledger entries
    assert dict(PullRequest.objects.values_list("number", "synced_at")) == synced_at


def test_a_change_on_github_is_written_and_audited_once(pygithub_repo, fake_github):
    github_sync(repo="PyGithub/PyGithub")
    pr538 = fake_github.routes[("GET", "/repos/PyGithub/PyGithub/pulls/538")]
    fake_github.add(
        "/repos/PyGithub/PyGithub/pulls/538", pr538.body.replace('"labels": []', '"labels": [{"name": "Hotfix"}]')
    )

    report = github_sync(repo="PyGithub/PyGithub")

    assert report.pull_requests_written == 1
    assert PullRequest.objects.get(number=538).is_hotfix
    entry = LedgerEntry.objects.filter(action="pull_request.synced").order_by("-seq").first()
    assert entry.subject_id == "pygithub#538" and entry.data["changed"] == {"is_hotfix": True}


def test_default_since_resumes_from_the_newest_synced_merge(pygithub_repo, fake_github):
    github_sync(repo="PyGithub/PyGithub")
    report = github_sync(repo="PyGithub/PyGithub")
    # Newest synced merge is #538 (2018-03-21 10:00) less the 24h overlap; the older-updated PRs are not read.
    assert report.since == datetime(2018, 3, 20, 10, 0, tzinfo=UTC)
    assert report.found == 2
    assert "updated since 2018-03-20 10:00 UTC" in str(report)


def test_a_since_after_every_update_reads_only_the_listing(pygithub_repo, fake_github):
    report = github_sync(repo="PyGithub/PyGithub", since=datetime(2024, 1, 1, tzinfo=UTC))
    assert (report.found, report.synced) == (0, 0)
    assert [seen.path.split("?")[0] for seen in fake_github.seen] == ["/api/v3/repos/PyGithub/PyGithub/pulls"]


def test_a_revert_pull_request_is_marked(austinsasko_repo):
    github_sync(repo="austinsasko/PyGithub")
    pr = PullRequest.objects.get(service=austinsasko_repo, number=21)
    assert pr.is_revert and pr.title.startswith('Revert "Revert "')
    assert (pr.merge_commit_sha, pr.merged_by, pr.base_ref) == (PR21_MERGE, "austinsasko", "master")


def test_rate_limit_stops_cleanly_and_the_next_run_resumes(pygithub_repo, fake_github):
    reset = int(time.time()) + 3600
    limited = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    commits31 = fake_github.routes[("GET", "/repos/PyGithub/PyGithub/pulls/31/commits")]
    fake_github.add("/repos/PyGithub/PyGithub/pulls/31/commits", RATE_LIMITED, status=403, headers=limited)

    report = github_sync(repo="PyGithub/PyGithub")

    # #538 (updated first) is stored whole; #31 is not stored at all, and the run did not sleep an hour.
    assert report.rate_limited and (report.found, report.synced) == (2, 1)
    assert "stopped by the GitHub rate limit after 1 of 2 pull requests" in report.stopped
    assert f"resets at {datetime.fromtimestamp(reset, UTC):%H:%M} UTC" in str(report)
    assert list(PullRequest.objects.values_list("number", flat=True)) == [538]

    fake_github.routes[("GET", "/repos/PyGithub/PyGithub/pulls/31/commits")] = commits31
    resumed = github_sync(repo="PyGithub/PyGithub")
    assert not resumed.rate_limited and resumed.since == datetime(2018, 3, 20, 10, 0, tzinfo=UTC)
    assert set(PullRequest.objects.values_list("number", flat=True)) == {31, 538}
    assert LedgerEntry.objects.filter(action="pull_request.synced").count() == 2


def test_a_low_request_budget_stops_before_starting_a_pull_request(pygithub_repo, fake_github):
    fake_github.rate_remaining = 5
    report = github_sync(repo="PyGithub/PyGithub")
    assert report.rate_limited and report.synced == 0 and PullRequest.objects.count() == 0
    assert len(fake_github.seen) == 1  # the listing only


def test_too_many_requests_stops_cleanly(pygithub_repo, fake_github):
    fake_github.add("/repos/PyGithub/PyGithub/pulls/538/reviews", {"message": "Too Many Requests"}, status=429)
    report = github_sync(repo="PyGithub/PyGithub")
    assert report.rate_limited and report.synced == 0


@pytest.mark.parametrize("path", ["pulls/538/reviews", f"commits/{PR538_MERGE}", f"commits/{PR538_HEAD}/check-runs"])
def test_other_github_errors_fail_the_run(pygithub_repo, fake_github, path):
    fake_github.add(f"/repos/PyGithub/PyGithub/{path}", {"message": "Bad credentials"}, status=401)
    with pytest.raises(BadCredentialsException):
        github_sync(repo="PyGithub/PyGithub")
    assert PullRequest.objects.count() == 0  # nothing half-written


def test_a_repository_without_a_service_is_refused(db, fake_github):
    with pytest.raises(SyncError, match="no service has repository"):
        github_sync(repo="nobody/nothing")


def test_the_command_prints_a_one_line_report(pygithub_repo, capsys):
    call_command("github_sync", "--repo", "PyGithub/PyGithub", "--since", "2018-03-01")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("PyGithub/PyGithub: 2 of 2 merged pull requests updated since 2018-03-01 00:00 UTC synced")
    call_command("github_sync", "--repo", "PyGithub/PyGithub", "--since", "2018-03-01T12:00:00+02:00")
    for bad in ("last tuesday", "2024-02-30", "2024-02-30T10:00"):
        with pytest.raises(CommandError, match="--since must be an ISO 8601 date"):
            call_command("github_sync", "--repo", "PyGithub/PyGithub", "--since", bad)
    with pytest.raises(CommandError, match="no service has repository"):
        call_command("github_sync", "--repo", "nobody/nothing")


def test_the_command_reports_a_github_refusal(db, fake_github):
    from releases.services import service_create

    service_create(slug="gone", repository="acme/gone")
    with pytest.raises(CommandError, match="GitHub answered 404: Not Found"):
        call_command("github_sync", "--repo", "acme/gone")
