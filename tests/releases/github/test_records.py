"""The shared upserts: a concurrent writer, and data too poor to store."""

from __future__ import annotations

import pytest

from releases.github import records
from releases.github.payloads import CheckRunData, CommitData, PullRequestData, pull_request_from_json
from releases.models import CheckRun, Commit, PullRequest

pytestmark = pytest.mark.django_db


def test_a_row_created_concurrently_is_updated_instead(service, monkeypatch):
    Commit.objects.create(service=service, sha="a" * 40)
    real_filter = Commit.objects.select_for_update

    class Blind:
        """Sees no row (as if another writer committed it just after this one looked)."""

        def __init__(self):
            self.calls = 0

        def __call__(self):
            self.calls += 1
            queryset = real_filter()
            return queryset.none() if self.calls == 1 else queryset

    monkeypatch.setattr(Commit.objects, "select_for_update", Blind())
    assert records.commit_upsert(service=service, data=CommitData(sha="a" * 40, author="dana"))
    assert Commit.objects.get().author == "dana"


def test_records_without_a_sha_are_skipped(service):
    assert not records.commit_upsert(service=service, data=CommitData(sha=""))
    run = CheckRunData(external_id=1, head_sha="", name="ci", status="completed", conclusion="success",
                       started_at=None, completed_at=None)  # fmt: skip
    assert not records.check_run_upsert(service=service, data=run)
    pr = records.pull_request_upsert(service=service, data=pull_request_from_json({"number": 1}), actor="t")[0]
    assert records.pull_request_commits_store(pull_request=pr, commits=[CommitData(sha="")]) == 0
    assert Commit.objects.count() == CheckRun.objects.count() == 0


def test_hotfix_and_revert_markers():
    def pr(**fields) -> PullRequestData:
        return pull_request_from_json({"number": 1} | fields)

    assert pr(head={"ref": "hotfix/login", "sha": "x"}).is_hotfix
    assert pr(labels=[{"name": " HotFix "}]).is_hotfix
    assert not pr(head={"ref": "feature/hotfix-docs"}, labels=[{"name": "not-a-hotfix"}]).is_hotfix
    assert pr(title='Revert "Add login"').is_revert
    assert pr(title="Undo login", body="This reverts commit 0123abc.").is_revert
    assert not pr(title="Revert the revert", body=None).is_revert
    assert PullRequest.objects.count() == 0
