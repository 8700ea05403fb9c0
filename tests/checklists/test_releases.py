"""Releases end to end: the built-in release-v1 evaluated from real reports, sign-offs, waivers, approval."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from access.roles import ENGINEERS, RELEASE_MANAGERS
from access.services import api_token_create
from checklists.models import Release, ReleaseItem, Waiver
from checklists.selectors import release_newer_evidence
from checklists.services import (
    ReleaseError,
    release_approve,
    release_create,
    release_signoff,
    releases_reevaluate_expired_waivers,
    waiver_approve,
    waiver_request,
)
from ledger.models import LedgerEntry
from releases.models import Commit
from tests.conftest import make_user
from tests.corpus import CORPUS_DIR
from tests.evidence.parsers.helpers import DATA

SHA = "1" * 40
# One passing report per gate of release-v1 (own samples, so this runs without the corpus too).
PASSING = {
    "coverage": DATA / "release" / "coverage-summary.json",
    "sast": DATA / "semgrep" / "empty-results.json",
    "image-scan": DATA / "trivy" / "empty-results.json",
    "sbom": DATA / "cyclonedx" / "one.json",
    "attestation": DATA / "intoto" / "signed-envelope.json",
    "policy": DATA / "release" / "conftest-clean.json",
    "contract": DATA / "pact_verification" / "one.json",
}


def _upload(api, path: Path, sha: str = SHA):
    response = api.post(f"/api/v1/artifacts?service=payments&commit={sha}", data=path.read_bytes(),
                        content_type="application/octet-stream")  # fmt: skip
    assert response.status_code in (200, 202), (path, response.content)
    return response.json()


def _states(release) -> dict[str, str]:
    return dict(release.items.values_list("item_id", "state"))


@pytest.fixture
def release(service):
    release, created = release_create(service=service, version="1.4.0", commit_sha=SHA,
                                      checklist_name="release-v1", actor="test")  # fmt: skip
    assert created
    return release


@pytest.fixture
def dave(db):
    return make_user("dave", RELEASE_MANAGERS)


def _ingest(api, path, run_jobs, capture):
    """Upload, parse, and let the evidence signal's evaluation job run, as the worker would."""
    with capture(execute=True):
        _upload(api, path)
    with capture(execute=True):
        run_jobs()  # the parse; its commit sends the evidence signal, which queues the evaluation
    run_jobs()


def _pass_all_gates(api, run_jobs, capture):
    for path in PASSING.values():
        assert path.is_file(), path
        _ingest(api, path, run_jobs, capture)


@pytest.mark.django_db
def test_api_creates_idempotently_and_reports_items(api, service):
    body = {"service": "payments", "version": "2.0.0", "commit": SHA, "checklist": "release-v1"}
    first = api.post("/api/v1/releases", body, content_type="application/json")
    assert first.status_code == 201, first.content
    again = api.post("/api/v1/releases", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    data = api.get(f"/api/v1/releases/{first.json()['id']}").json()
    assert data["status"] == "blocked" and data["checklist"] == "release-v1" and data["commit"] == SHA
    assert {i["state"] for i in data["items"]} == {"pending"} and len(data["items"]) == 9
    assert data["items"][0] == {"id": "coverage", "title": "Coverage >= 80% (CI gate)", "state": "pending",
                                "figure": "waiting for coverage evidence", "evidence": [], "manual": False,
                                "soc2": ["CC8.1"]}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"service": "nope", "version": "1", "commit": SHA}, 404, "unknown service"),
        ({"service": "payments", "version": "1", "commit": "abc"}, 422, "40-character"),
        ({"service": "payments", "version": "1", "commit": SHA, "checklist": "release-v9"}, 422, "unknown checklist"),
    ],
)
def test_api_refusals(api, body, status, detail):
    response = api.post("/api/v1/releases", body, content_type="application/json")
    assert response.status_code == status and detail in response.json()["detail"]


@pytest.mark.django_db
def test_api_conflict_and_scope(api, service):
    api.post(
        "/api/v1/releases", {"service": "payments", "version": "1", "commit": SHA}, content_type="application/json"
    )
    clash = api.post("/api/v1/releases", {"service": "payments", "version": "1", "commit": "2" * 40},
                     content_type="application/json")  # fmt: skip
    assert clash.status_code == 409
    _tok, ingest_only = api_token_create(name="i", services=[service], scopes=["ingest"])
    refused = Client(headers={"Authorization": f"Bearer {ingest_only}"}).post(
        "/api/v1/releases", {"service": "payments", "version": "3", "commit": SHA}, content_type="application/json"
    )
    assert refused.status_code == 403


@pytest.mark.django_db
def test_gates_evaluate_as_evidence_arrives(api, release, run_jobs, django_capture_on_commit_callbacks):
    assert set(_states(release).values()) == {"pending"}
    _pass_all_gates(api, run_jobs, django_capture_on_commit_callbacks)
    release.refresh_from_db()
    states = _states(release)
    assert {k: states[k] for k in ("coverage", "sast", "image-scan", "sbom-attested", "policy", "contract")} == \
        dict.fromkeys(("coverage", "sast", "image-scan", "sbom-attested", "policy", "contract"), "pass")  # fmt: skip
    coverage = release.items.get(item_id="coverage")
    assert coverage.figure.startswith("coverage.line_pct = ")
    assert coverage.evidence.count() == 1
    assert release.status == "blocked"  # the manual items are still pending
    changes = LedgerEntry.objects.filter(action="release_item.state_changed", subject_id=str(release.pk))
    assert changes.count() == 6 and all(e.data["from"] == "pending" for e in changes)


@pytest.mark.django_db
@pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason="needs ../shared/corpus")
def test_a_failing_real_scan_fails_with_its_figure(api, release, run_jobs, django_capture_on_commit_callbacks):
    _ingest(
        api,
        CORPUS_DIR / "trivy" / "trivy-0.69.3-repo-juiceshop-large-listallpkgs.json",
        run_jobs,
        django_capture_on_commit_callbacks,
    )
    item = release.items.get(item_id="image-scan")
    assert item.state == "fail"
    assert item.figure == "vulnerabilities.by_severity.high = 41, vulnerabilities.by_severity.critical = 9"


@pytest.mark.django_db
def test_signoffs_waivers_and_approval(api, release, run_jobs, django_capture_on_commit_callbacks,
                                       release_manager, engineer, dave):  # fmt: skip
    _pass_all_gates(api, run_jobs, django_capture_on_commit_callbacks)
    canary = release.items.get(item_id="canary-plan")
    with pytest.raises(ReleaseError, match="only release-managers"):
        release_signoff(item=canary, user=engineer, comment="ok", evidence_url="https://x.example/plan")
    with pytest.raises(ReleaseError, match="evidence link"):
        release_signoff(item=canary, user=release_manager, comment="ok")
    with pytest.raises(ReleaseError, match="gates are decided by evidence"):
        release_signoff(item=release.items.get(item_id="coverage"), user=release_manager, comment="ok")
    release_signoff(item=canary, user=release_manager, comment="5/25/50/100 with error-rate analysis",
                    evidence_url="https://wiki.example/canary")  # fmt: skip
    release_signoff(item=release.items.get(item_id="rollback-validated"), user=engineer, comment="done",
                    evidence_url="https://ci.example/run/1")  # fmt: skip

    dba = release.items.get(item_id="dba-expand")
    with pytest.raises(ReleaseError, match="not every item"):
        release_approve(release=release, user=dave)
    waiver = waiver_request(item=dba, user=release_manager, reason="no migrations in this release",
                            expires_at=timezone.now() + timedelta(days=7))  # fmt: skip
    with pytest.raises(ReleaseError, match="other than its requester"):
        waiver_approve(waiver=waiver, user=release_manager)
    with pytest.raises(ReleaseError, match="only release managers"):
        waiver_approve(waiver=waiver, user=engineer)
    waiver_approve(waiver=waiver, user=dave)
    release.refresh_from_db()
    assert _states(release)["dba-expand"] == "waived" and release.status == "ready"

    approved = release_approve(release=release, user=dave)
    assert approved.status == "approved" and approved.approved_by == dave
    entry = LedgerEntry.objects.get(action="release.approved")
    assert set(entry.data["items"]) == set(_states(release))

    # Frozen: later evidence is a new revision and changes nothing that was approved.
    _ingest(api, DATA / "trivy" / "one-vuln.json", run_jobs, django_capture_on_commit_callbacks)
    release.refresh_from_db()
    assert _states(release)["image-scan"] == "pass"
    assert [a.format for a in release_newer_evidence(release)] == ["trivy-json"]
    with pytest.raises(ReleaseError, match="frozen"):
        release_signoff(item=dba, user=dave, comment="late", evidence_url="https://x.example")


@pytest.mark.django_db
def test_waiver_rules_and_expiry(api, release, release_manager, dave, run_jobs, django_capture_on_commit_callbacks):
    _ingest(api, DATA / "trivy" / "one-vuln.json", run_jobs, django_capture_on_commit_callbacks)
    item = release.items.get(item_id="image-scan")
    assert item.state == "fail"
    with pytest.raises(ReleaseError, match="reason"):
        waiver_request(item=item, user=release_manager, reason=" ", expires_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ReleaseError, match="future"):
        waiver_request(item=item, user=release_manager, reason="r", expires_at=timezone.now() - timedelta(days=1))
    waiver = waiver_request(item=item, user=release_manager, reason="accepted risk: not reachable",
                            expires_at=timezone.now() + timedelta(hours=1))  # fmt: skip
    waiver_approve(waiver=waiver, user=dave)
    item.refresh_from_db()
    assert item.state == "waived" and "underlying: vulnerabilities.by_severity.high = 1" in item.figure
    Waiver.objects.filter(pk=waiver.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert releases_reevaluate_expired_waivers() == 1
    item.refresh_from_db()
    assert item.state == "fail"


@pytest.mark.django_db
def test_separation_of_duties_on_the_release_commit(release, release_manager, engineer):
    Commit.objects.filter(pk=release.commit_id).update(author="alice")
    canary = release.items.get(item_id="canary-plan")
    with pytest.raises(ReleaseError, match="separation of duties") as excinfo:
        release_signoff(item=canary, user=release_manager, comment="mine", evidence_url="https://x.example")
    assert excinfo.value.status == 403
    assert not canary.signoffs.exists()


@pytest.mark.django_db
def test_release_pages(api, release, engineer, release_manager):
    client = Client()
    client.force_login(engineer)
    listing = client.get("/releases/").content.decode()
    assert "1.4.0" in listing and "coverage" in listing
    page = client.get(f"/releases/{release.pk}/").content.decode()
    assert "Coverage &gt;= 80% (CI gate)" in page and "waiting for coverage evidence" in page
    partial = client.get(f"/releases/{release.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section id="items"')
    refused = client.post(f"/releases/{release.pk}/items/canary-plan/signoff",
                          {"comment": "ok", "evidence_url": "https://x.example"})  # fmt: skip
    assert refused.status_code == 403 and "only release-managers" in refused.content.decode()
    client.force_login(release_manager)
    done = client.post(f"/releases/{release.pk}/items/canary-plan/signoff",
                       {"comment": "plan reviewed", "evidence_url": "https://x.example/plan"})  # fmt: skip
    assert done.status_code == 302
    assert ReleaseItem.objects.get(release=release, item_id="canary-plan").state == "pass"
    assert client.get("/releases/new/").status_code == 200


@pytest.mark.django_db
def test_create_release_in_the_ui(service, release_manager):
    client = Client()
    client.force_login(release_manager)
    response = client.post("/releases/new/", {"service": "payments", "version": "9.9.9", "commit": SHA,
                                              "checklist": "release-v1"})  # fmt: skip
    assert response.status_code == 302
    assert Release.objects.get(version="9.9.9").items.count() == 9


def test_engineers_group_exists_for_manual_owner():
    assert ENGINEERS == "engineers"


@pytest.mark.django_db
def test_a_quarantined_gate_shows_but_does_not_block(api, release, run_jobs, django_capture_on_commit_callbacks):
    from metrics.services.gates import quarantine_create

    _pass_all_gates(api, run_jobs, django_capture_on_commit_callbacks)
    _ingest(api, DATA / "trivy" / "one-vuln.json", run_jobs, django_capture_on_commit_callbacks)
    quarantine_create(service=release.service, gate="image-scan", owner="bob", reason="scanner DB flaky",
                      expires_at=timezone.now() + timedelta(days=2), actor="test")  # fmt: skip
    from checklists.services import release_evaluate

    release_evaluate(release=release)
    item = release.items.get(item_id="image-scan")
    assert item.state == "fail" and item.quarantined
    with pytest.raises(ReleaseError) as excinfo:
        release_approve(release=release, user=make_user("dave2", RELEASE_MANAGERS))
    blocking = excinfo.value.message.split(": ", 1)[1].split(", ")
    assert "image-scan" not in blocking and "canary-plan" in blocking  # only the manual items block
    page = Client()
    page.force_login(make_user("viewer", ENGINEERS))
    assert "quarantined" in page.get(f"/releases/{release.pk}/").content.decode()
