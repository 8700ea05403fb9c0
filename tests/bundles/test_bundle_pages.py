"""The bundles page and API: who may export, streaming small bundles, jobs with progress, recorded downloads."""

import io
import os
import zipfile
from datetime import timedelta

import pytest
from django.test import Client

from access.services import api_token_create
from checklists.bundles.jobs import expire_bundles
from checklists.bundles.models import BundleExport
from checklists.bundles.services import bundle_dir, bundles_expire
from ledger.models import LedgerEntry
from ledger.signing import signing_key_fingerprint
from releases.services import service_create


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_only_release_managers_and_auditors_export(approved_release, auditor, engineer, release_manager):
    page = _client(auditor).get("/bundles/")
    assert page.status_code == 200 and signing_key_fingerprint() in page.content.decode()
    assert _client(release_manager).get("/bundles/").status_code == 200
    assert _client(engineer).get("/bundles/").status_code == 403
    assert (
        _client(engineer).post("/bundles/new", {"kind": "release", "release": approved_release.pk}).status_code == 403
    )
    assert Client().get("/bundles/").status_code == 302  # to the login page


@pytest.mark.django_db
def test_a_small_bundle_streams_at_once_and_is_recorded(approved_release, auditor):
    response = _client(auditor).post("/bundles/new", {"kind": "release", "release": approved_release.pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {"manifest.json", "manifest.sig", "public_key.pem", "verify.py"} <= set(archive.namelist())
    entry = LedgerEntry.objects.get(action="bundle.downloaded")
    assert entry.actor == "user:carol" and entry.data["scope"]["release"] == approved_release.pk


@pytest.mark.django_db
def test_a_large_bundle_is_built_by_a_job_then_downloaded(approved_release, auditor, settings, run_jobs,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    settings.GATEHOUSE_BUNDLE_STREAM_MAX_BYTES = 0
    client = _client(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/bundles/new", {"kind": "period", "services": ["payments"], "date_from": "2020-01-01",
                                                "date_to": "2030-12-31", "size": "5"})  # fmt: skip
    assert response.status_code == 302
    export = BundleExport.objects.get()
    assert export.status == "queued" and export.kind == "period" and isinstance(export.scope["seed"], int)
    row = client.get(f"/bundles/{export.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in row and "queued" in row
    assert client.get(f"/bundles/{export.pk}/download").status_code == 404  # not ready yet
    run_jobs()
    export.refresh_from_db()
    assert export.status == "ready" and export.progress_pct == 100 and len(export.manifest_sha256) == 64
    row = client.get(f"/bundles/{export.pk}/").content.decode()
    assert "hx-trigger" not in row and "Download" in row
    download = client.get(f"/bundles/{export.pk}/download")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        assert "period/population.csv" in archive.namelist()
    entry = LedgerEntry.objects.get(action="bundle.downloaded")
    assert entry.actor == "user:carol" and entry.data["manifest_sha256"] == export.manifest_sha256
    assert LedgerEntry.objects.filter(action__in=["bundle.requested", "bundle.built"]).count() == 2


@pytest.mark.django_db
def test_bundle_files_expire_after_the_keep_time(approved_release, auditor, settings, run_jobs,
                                                 django_capture_on_commit_callbacks):  # fmt: skip
    settings.GATEHOUSE_BUNDLE_STREAM_MAX_BYTES = 0
    settings.GATEHOUSE_BUNDLE_KEEP_DAYS = 3
    client = _client(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/bundles/new", {"kind": "release", "release": approved_release.pk})
    run_jobs()
    export = BundleExport.objects.get(status="ready")
    kept = bundle_dir() / export.file_name
    stale_part = bundle_dir() / "bundle-999-dead.zip.part"
    stale_part.write_bytes(b"half a zip")
    os.utime(stale_part, (0, 0))
    fresh_part = bundle_dir() / "bundle-1000-building.zip.part"
    fresh_part.write_bytes(b"being written")
    assert bundles_expire(now=export.finished_at + timedelta(days=2)) == 0 and kept.is_file()
    assert expire_bundles() == 0  # the cron job: nothing is three days old yet
    assert bundles_expire(now=export.finished_at + timedelta(days=3, seconds=1)) == 1
    export.refresh_from_db()
    assert export.status == "expired" and export.is_finished and not kept.exists()
    assert not stale_part.exists() and fresh_part.exists()
    entry = LedgerEntry.objects.get(action="bundle.expired")
    assert entry.subject_id == str(export.pk) and entry.data["manifest_sha256"] == export.manifest_sha256
    row = client.get(f"/bundles/{export.pk}/").content.decode()
    assert "removed after 3 days" in row and "Download" not in row and "hx-trigger" not in row
    assert client.get(f"/bundles/{export.pk}/download").status_code == 404
    assert bundles_expire(now=export.finished_at + timedelta(days=30)) == 0  # once only


@pytest.mark.django_db
def test_page_form_errors(approved_release, release_manager):
    client = _client(release_manager)
    bad = client.post("/bundles/new", {"kind": "period", "services": ["payments"], "date_from": "2026-02-01",
                                       "date_to": "2026-01-01", "size": "5"})  # fmt: skip
    assert bad.status_code == 422 and "must start before it ends" in bad.content.decode()
    assert client.post("/bundles/new", {"kind": "release", "release": "999"}).status_code == 422


@pytest.mark.django_db
def test_api_request_status_and_download(approved_release, api, run_jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/bundles", {"release": approved_release.pk}, content_type="application/json")
    assert created.status_code == 202, created.content
    body = created.json()
    assert body["status"] == "queued" and body["kind"] == "release"
    assert api.get(body["download_url"]).status_code == 409
    run_jobs()
    status = api.get(body["status_url"]).json()
    assert status["status"] == "ready" and status["progress_pct"] == 100
    download = api.get(body["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    b"".join(download.streaming_content)
    entry = LedgerEntry.objects.get(action="bundle.downloaded")
    assert entry.actor.startswith("token:") and entry.data["manifest_sha256"] == status["manifest_sha256"]


@pytest.mark.django_db
def test_api_refusals(approved_release, api, auditor, engineer):
    other = service_create(slug="orders", name="Orders")
    auditor.grant.services.add(other)
    refused = api.post("/api/v1/bundles", {"services": ["orders"], "from": "2026-01-01", "to": "2026-01-31"},
                       content_type="application/json")  # fmt: skip
    assert refused.status_code == 403
    unknown = api.post("/api/v1/bundles", {"release": 999}, content_type="application/json")
    assert unknown.status_code in (403, 404)
    session = _client(auditor)
    bad_period = session.post("/api/v1/bundles", {"services": ["orders"], "from": "2026-02-01", "to": "2026-01-01"},
                              content_type="application/json")  # fmt: skip
    assert bad_period.status_code == 422 and "starts" in bad_period.json()["detail"]
    ok = session.post("/api/v1/bundles", {"services": ["orders", "payments"], "from": "2026-01-01",
                                          "to": "2026-01-31", "seed": 3}, content_type="application/json")  # fmt: skip
    assert ok.status_code == 202 and ok.json()["scope"]["seed"] == 3
    # A token for payments alone may not read an export that covers orders too; an engineer may not either.
    assert api.get(ok.json()["status_url"]).status_code == 404
    assert _client(engineer).get(ok.json()["status_url"]).status_code == 404
    _token, orders_token = api_token_create(name="o", services=[other], scopes=["ingest"])
    no_scope = Client(headers={"Authorization": f"Bearer {orders_token}"})
    assert no_scope.post("/api/v1/bundles", {"services": ["orders"], "from": "2026-01-01", "to": "2026-01-31"},
                         content_type="application/json").status_code == 403  # fmt: skip


@pytest.mark.django_db
def test_a_broken_ledger_is_refused_before_the_download_starts(approved_release, release_manager):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_ledgerentry DISABLE TRIGGER ledger_entry_append_only")
        cursor.execute("UPDATE ledger_ledgerentry SET actor = 'mallory' WHERE seq = 2")
    response = _client(release_manager).post("/bundles/new", {"kind": "release", "release": approved_release.pk})
    assert response.status_code == 409 and "the audit ledger does not verify" in response.content.decode()
