"""The verdict goes back to GitHub as a commit status; a repository's own checklist file is read at the commit."""

import base64
import json

import pytest
from django.utils import timezone

from checklists.jobs import STATUS_CONTEXT, publish_release_status
from checklists.models import Release
from checklists.services import release_create
from tests.releases.github.conftest import fake_github  # noqa: F401 - the loopback GitHub fixture

SHA = "3" * 40
REPO = {"id": 1, "name": "payments", "full_name": "acme/payments", "url": "http://x/repos/acme/payments"}
OWN_CHECKLIST = """---
version: 2
title: Payments checklist v2
items:
  - {id: tests-green, title: No failing tests, gate: tests.failures + tests.errors == 0}
  - id: sign
    title: Release manager signs
    manual: {owner: release-managers}
---
Our own checklist.
"""


@pytest.fixture
def github_repo(fake_github, service):  # noqa: F811
    fake_github.add("/repos/acme/payments", REPO)
    fake_github.add(f"/repos/acme/payments/commits/{SHA}", {"sha": SHA, "url": f"http://x/commits/{SHA}"})
    fake_github.add(f"/repos/acme/payments/statuses/{SHA}", {"id": 1, "state": "pending"}, method="POST", status=201)
    return fake_github


def _posted_statuses(fake):
    return [json.loads(seen.body) for seen in fake.requests_to(f"/api/v3/repos/acme/payments/statuses/{SHA}")]


@pytest.mark.django_db
def test_repository_checklist_is_used_at_the_release_commit(github_repo, service):
    content = {"type": "file", "encoding": "base64", "name": "release-v2.md", "path": "checklists/release-v2.md",
               "content": base64.b64encode(OWN_CHECKLIST.encode()).decode(), "sha": "abc", "size": 10}  # fmt: skip
    github_repo.add("/repos/acme/payments/contents/checklists/release-v2.md", content)
    release, _ = release_create(service=service, version="5.0.0", commit_sha=SHA, checklist_name="release-v2",
                                actor="test")  # fmt: skip
    assert release.checklist_source == f"acme/payments@{SHA[:12]}"
    assert list(release.items.values_list("item_id", flat=True)) == ["tests-green", "sign"]
    asked = github_repo.requests_to("/api/v3/repos/acme/payments/contents/checklists/release-v2.md")
    assert asked and f"ref={SHA}" in asked[0].path


@pytest.mark.django_db
def test_missing_repository_checklist_falls_back_to_the_builtin(github_repo, service):
    release, _ = release_create(service=service, version="5.0.1", commit_sha=SHA, checklist_name="release-v1",
                                actor="test")  # fmt: skip
    assert release.checklist_source == "builtin" and release.items.count() == 9


@pytest.mark.django_db
def test_verdicts_are_posted_as_commit_statuses(github_repo, service, release_manager):
    release, _ = release_create(service=service, version="5.1.0", commit_sha=SHA, checklist_name="release-v1",
                                actor="test")  # fmt: skip
    assert publish_release_status(release.pk) == "pending"
    status = _posted_statuses(github_repo)[-1]
    assert status["context"] == STATUS_CONTEXT and status["state"] == "pending"
    assert status["target_url"].endswith(f"/releases/{release.pk}/")
    assert status["description"].startswith("9 pending")

    release.items.filter(item_id="coverage").update(state="fail", figure="coverage.line_pct = 12")
    assert publish_release_status(release.pk) == "failure"
    assert _posted_statuses(github_repo)[-1]["description"] == "1 failing: coverage"

    release.items.update(state="pass")
    assert publish_release_status(release.pk) == "pending"
    assert "waiting for approval" in _posted_statuses(github_repo)[-1]["description"]

    Release.objects.filter(pk=release.pk).update(status="approved", approved_by=release_manager,
                                                  approved_at=timezone.now())  # fmt: skip
    assert publish_release_status(release.pk) == "success"
    assert _posted_statuses(github_repo)[-1]["description"] == "5.1.0 approved by alice"


@pytest.mark.django_db
def test_state_changes_queue_the_status_when_github_is_configured(github_repo, service, run_jobs,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        release_create(service=service, version="5.2.0", commit_sha=SHA, checklist_name="release-v1", actor="t")
    run_jobs()
    assert _posted_statuses(github_repo)
