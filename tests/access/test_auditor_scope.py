from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from access.models import AuditorGrant
from checklists.services import release_create
from ledger.models import LedgerEntry
from releases.services import service_create
from tests.evidence.test_intake_api import upload


@pytest.fixture
def world(api, service, auditor):
    other = service_create(slug="search")
    artifact_id = upload(api).json()["id"]
    release, _ = release_create(service=service, version="1", commit_sha="a" * 40, checklist_name="release-v1",
                                actor="t")  # fmt: skip
    hidden, _ = release_create(service=other, version="1", commit_sha="b" * 40, checklist_name="release-v1",
                               actor="t")  # fmt: skip
    return {"artifact": artifact_id, "release": release, "hidden": hidden, "other": other}


def _grant(auditor, services, *, days_back=1, days_ahead=1, expires_in=timedelta(days=30)):
    today = timezone.localdate()
    grant = AuditorGrant.objects.create(user=auditor, window_from=today - timedelta(days=days_back),
                                        window_to=today + timedelta(days=days_ahead),
                                        expires_at=timezone.now() + expires_in)  # fmt: skip
    grant.services.set(services)
    return grant


@pytest.mark.django_db
def test_an_auditor_without_a_grant_sees_nothing(world, auditor):
    client = Client()
    client.force_login(auditor)
    assert b"payments" not in client.get("/services/").content
    assert client.get("/services/payments/").status_code == 403
    assert client.get(f"/artifacts/{world['artifact']}/").status_code == 403
    assert client.get(f"/artifacts/{world['artifact']}/raw").status_code == 403
    assert client.get(f"/releases/{world['release'].pk}/").status_code == 403
    assert client.get(f"/api/v1/artifacts/{world['artifact']}").status_code == 404


@pytest.mark.django_db
def test_a_grant_opens_its_services_inside_the_window_and_every_view_is_logged(world, auditor, service):
    _grant(auditor, [service])
    client = Client()
    client.force_login(auditor)
    listing = client.get("/services/").content.decode()
    assert "payments" in listing and "search" not in listing
    raw = client.get(f"/artifacts/{world['artifact']}/raw")
    assert raw.status_code == 200 and b"".join(raw.streaming_content)  # read to the end: the file closes
    assert client.get(f"/releases/{world['release'].pk}/").status_code == 200
    assert client.get(f"/releases/{world['hidden'].pk}/").status_code == 403
    assert client.get(f"/api/v1/releases/{world['hidden'].pk}").status_code == 404
    assert "1" in client.get("/releases/").content.decode()
    logged = list(LedgerEntry.objects.filter(action="auditor.viewed").values_list("subject_id", flat=True))
    assert f"/artifacts/{world['artifact']}/raw" in logged and "/services/" in logged
    # read-only: no write page works for an auditor
    assert client.post("/services/new/", {"slug": "x", "name": "x"}).status_code == 403
    assert client.get("/tokens/").status_code == 403


@pytest.mark.django_db
def test_outside_the_window_or_after_expiry_is_refused(world, auditor, service):
    past = _grant(auditor, [service], days_back=30, days_ahead=-10)  # the window ended 10 days ago
    client = Client()
    client.force_login(auditor)
    assert client.get(f"/artifacts/{world['artifact']}/").status_code == 403
    current = _grant(auditor, [service])  # artifacts are immutable: widen the grant instead of moving them
    assert client.get(f"/artifacts/{world['artifact']}/").status_code == 200
    AuditorGrant.objects.filter(pk__in=[past.pk, current.pk]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/artifacts/{world['artifact']}/").status_code == 403


@pytest.mark.django_db
def test_auditor_grant_command(world, auditor, capsys):
    call_command("auditor_grant", "carol", service=["payments"], window_from=timezone.localdate(),
                 window_to=timezone.localdate(), expires=timezone.localdate() + timedelta(days=3))  # fmt: skip
    assert AuditorGrant.objects.get().services.get().slug == "payments"
    assert LedgerEntry.objects.filter(action="auditor.granted").exists()


@pytest.mark.django_db
def test_auditor_bundles_stay_inside_the_grant(world, auditor, service):
    _grant(auditor, [service])
    client = Client()
    client.force_login(auditor)
    today = timezone.localdate()
    inside = {"services": ["payments"], "from": str(today - timedelta(days=1)), "to": str(today)}
    outside_service = {**inside, "services": ["payments", "search"]}
    outside_window = {**inside, "from": str(today - timedelta(days=60))}
    assert client.post("/api/v1/bundles", inside, content_type="application/json").status_code == 202
    for body in (outside_service, outside_window):
        assert client.post("/api/v1/bundles", body, content_type="application/json").status_code == 403
    assert client.post("/api/v1/bundles", {"release": world["hidden"].pk},
                       content_type="application/json").status_code == 403  # fmt: skip
    page = client.post("/bundles/new", {"kind": "release", "release": world["hidden"].pk})
    assert page.status_code in (403, 422)
