"""Bundles are built from a real approved release: gates passed by real reports, sign-offs, a waiver, PRs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from access.roles import RELEASE_MANAGERS
from checklists.services import (
    release_approve,
    release_create,
    release_evaluate,
    release_signoff,
    waiver_approve,
    waiver_request,
)
from evidence.services import artifact_parse
from releases.models import CheckRun, PullRequest, Review
from tests.checklists.test_releases import PASSING, SHA, _upload
from tests.conftest import make_user

HEAD = "a" * 40


@pytest.fixture(autouse=True)
def bundle_settings(settings, tmp_path_factory):
    """A throwaway signing key and bundle folder, never the developer's .data/."""
    base = tmp_path_factory.getbasetemp()
    settings.GATEHOUSE_SIGNING_KEY_FILE = base / "signing_key.pem"
    settings.GATEHOUSE_BUNDLE_DIR = base / "bundles"
    return settings


@pytest.fixture
def dave(db):
    return make_user("dave", RELEASE_MANAGERS)


def add_pull_request(service, number: int, *, merged_at, merge_sha: str, approved: bool = True) -> PullRequest:
    head = f"{number:x}".rjust(40, "a")
    pr = PullRequest.objects.create(service=service, number=number, title=f"change {number}", author="erin",
                                    state="closed", merged_at=merged_at, merged_by="frank", head_sha=head,
                                    merge_commit_sha=merge_sha, base_ref="main")  # fmt: skip
    if approved:
        Review.objects.create(pull_request=pr, external_id=number * 10, reviewer="grace", state="APPROVED",
                              commit_id=head, submitted_at=merged_at - timedelta(minutes=5))  # fmt: skip
    CheckRun.objects.create(service=service, external_id=number * 100, head_sha=head, name="ci", status="completed",
                            conclusion="success", completed_at=merged_at - timedelta(minutes=10))  # fmt: skip
    return pr


@pytest.fixture
def approved_release(api, service, release_manager, engineer, dave):
    """release-v1 for payments 1.4.0: every gate passed by evidence, manual items signed off or waived, approved.

    Reports go through the real upload API and loader, parsed and evaluated in this process rather than by
    queued jobs, so a test run sharing the Redis test database cannot take the jobs away.
    """
    add_pull_request(service, 7, merged_at=timezone.now() - timedelta(hours=2), merge_sha=SHA)
    release, _ = release_create(service=service, version="1.4.0", commit_sha=SHA, checklist_name="release-v1",
                                actor="test")  # fmt: skip
    for path in PASSING.values():
        artifact_parse(artifact_id=_upload(api, path)["id"])
    release_evaluate(release=release)
    release_signoff(item=release.items.get(item_id="canary-plan"), user=release_manager, comment="5/25/50/100",
                    evidence_url="https://wiki.example/canary")  # fmt: skip
    release_signoff(item=release.items.get(item_id="rollback-validated"), user=engineer, comment="done",
                    evidence_url="https://ci.example/run/1")  # fmt: skip
    waiver = waiver_request(
        item=release.items.get(item_id="dba-expand"),
        user=release_manager,
        reason="no migrations in this release",
        expires_at=timezone.now() + timedelta(days=7),
    )
    waiver_approve(waiver=waiver, user=dave)
    return release_approve(release=release, user=dave)


def unzip(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(into)
    return into


def run_verify(folder: Path, *args: str) -> subprocess.CompletedProcess:
    # -I -S: no site-packages at all, so the verifier proves it needs nothing beyond the standard library.
    return subprocess.run([sys.executable, "-I", "-S", "verify.py", *args], cwd=folder, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


@pytest.fixture
def auditor(db):
    """An auditor granted every service (present and future in the test) for a wide observation window."""
    from datetime import date, timedelta

    from django.utils import timezone

    from access.models import AuditorGrant
    from releases.models import Service
    from tests.conftest import make_user

    user = make_user("carol", "auditors")
    grant = AuditorGrant.objects.create(user=user, window_from=date(2020, 1, 1), window_to=date(2030, 12, 31),
                                        expires_at=timezone.now() + timedelta(days=30))  # fmt: skip
    grant.services.set(Service.objects.all())
    user.grant = grant
    return user
