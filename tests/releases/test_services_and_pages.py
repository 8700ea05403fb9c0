import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from evidence.models import Artifact
from ledger.models import LedgerEntry
from releases.models import Service
from tests.conftest import PASSWORD
from tests.evidence.test_intake_api import upload


@pytest.mark.django_db
def test_service_create_command_is_idempotent_and_audited(capsys):
    call_command("service_create", "billing", repo="acme/billing")
    call_command("service_create", "billing", repo="acme/other")
    assert Service.objects.get(slug="billing").repository == "acme/billing"
    assert LedgerEntry.objects.filter(action="service.created").count() == 1
    with pytest.raises(CommandError, match="owner/name"):
        call_command("service_create", "broken", repo="not a repo")


@pytest.mark.django_db
def test_every_page_requires_login(client, service):
    for url in ["/", "/services/", "/services/payments/", "/services/new/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_login_and_browse_to_a_parsed_artifact(api, engineer, run_jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        artifact_id = upload(api).json()["id"]
    run_jobs()
    person = Client()
    response = person.post("/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert b"payments" in person.get("/services/").content
    service_page = person.get("/services/payments/").content.decode()
    assert f"/artifacts/{artifact_id}/" in service_page and "parsed" in service_page
    page = person.get(f"/artifacts/{artifact_id}/").content.decode()
    assert "CVE-2024-0001" in page and "openssl" in page and "packages_affected" in page
    raw = person.get(f"/artifacts/{artifact_id}/raw")
    assert raw.status_code == 200 and raw["X-Content-SHA256"] == Artifact.objects.get().sha256
    assert b"".join(raw.streaming_content).startswith(b"{")
    assert "Content-Security-Policy" in raw.headers or raw.status_code == 200


@pytest.mark.django_db
def test_failed_artifact_page_shows_the_error(api, engineer):
    artifact_id = upload(api, data=b"what is this").json()["artifact"]["id"]
    client = Client()
    client.force_login(engineer)
    assert "unrecognised format" in client.get(f"/artifacts/{artifact_id}/").content.decode()


@pytest.mark.django_db
def test_only_release_managers_create_services_in_the_ui(release_manager, engineer):
    client = Client()
    client.force_login(engineer)
    assert client.get("/services/new/").status_code == 403
    client.force_login(release_manager)
    assert client.get("/services/new/").status_code == 200
    response = client.post("/services/new/", {"slug": "search", "name": "Search", "repository": "acme/search"})
    assert response.status_code == 302 and Service.objects.filter(slug="search").exists()
    response = client.post("/services/new/", {"slug": "bad", "name": "Bad", "repository": "nope"})
    assert response.status_code == 200 and not Service.objects.filter(slug="bad").exists()


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(browser_client, service):
    response = browser_client.get("/services/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
