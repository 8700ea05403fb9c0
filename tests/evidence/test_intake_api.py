import gzip
import hashlib

import pytest
from django.core.files.storage import storages
from django.test import Client

from access.services import api_token_create, api_token_revoke
from evidence.models import Artifact, Evidence, Finding
from evidence.storage import raw_path
from ledger.models import LedgerEntry
from releases.services import service_create
from tests.evidence.parsers.helpers import DATA

SHA = "a" * 40
TRIVY = (DATA / "trivy" / "one-vuln.json").read_bytes()


def upload(api, data=TRIVY, **params):
    params = {"service": "payments", "commit": SHA, **params}
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.post(f"/api/v1/artifacts?{query}", data=data, content_type="application/json")


@pytest.mark.django_db
def test_multipart_upload_is_stored_queued_and_parsed(api, run_jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/artifacts",
            {"service": "payments", "commit": SHA, "build": "gha-991", "environment": "staging",
             "file": _named("trivy.json", TRIVY)},
        )  # fmt: skip
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(TRIVY).hexdigest()
    assert (body["kind"], body["format"], body["status"]) == ("vulnerabilities", "trivy-json", "queued")
    with storages["artifacts"].open(raw_path(body["sha256"])) as stored:
        assert stored.read() == TRIVY

    run_jobs()
    status = api.get(body["status_url"]).json()
    assert status["status"] == "parsed"
    assert status["summary"]["findings"] == 1
    assert status["summary"]["by_severity"]["high"] == 1
    artifact = Artifact.objects.get(pk=body["id"])
    assert artifact.build.external_id == "gha-991" and artifact.environment.name == "staging"
    assert artifact.original_name == "trivy.json"
    assert Finding.objects.filter(evidence__artifact=artifact).count() == 1
    actions = list(LedgerEntry.objects.values_list("action", flat=True))
    assert actions[-2:] == ["artifact.received", "artifact.parsed"]


def _named(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/json")


@pytest.mark.django_db
def test_raw_body_upload_and_repeat_changes_nothing(api, run_jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(api)
    run_jobs()
    entries = LedgerEntry.objects.count()
    second = upload(api)
    assert first.status_code == 202 and second.status_code == 200
    assert second.json()["id"] == first.json()["id"] and second.json()["status"] == "parsed"
    assert Artifact.objects.count() == 1 and Evidence.objects.count() == 1
    assert LedgerEntry.objects.count() == entries


@pytest.mark.django_db
def test_same_bytes_other_commit_is_another_artifact_sharing_storage(api):
    first = upload(api).json()
    second = upload(api, commit="b" * 40).json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]


@pytest.mark.django_db
def test_idempotency_key_returns_the_first_artifact(api):
    first = api.post(f"/api/v1/artifacts?service=payments&commit={SHA}", data=TRIVY,
                     content_type="application/json", headers={"Idempotency-Key": "run-7-trivy"})  # fmt: skip
    again = api.post(f"/api/v1/artifacts?service=payments&commit={SHA}", data=TRIVY + b" ",
                     content_type="application/json", headers={"Idempotency-Key": "run-7-trivy"})  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


@pytest.mark.django_db
def test_gzip_upload_is_kept_compressed_and_parsed(api, run_jobs, django_capture_on_commit_callbacks):
    packed = gzip.compress(TRIVY)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, data=packed)
    assert response.status_code == 202, response.content
    run_jobs()
    artifact = Artifact.objects.get()
    assert artifact.sha256 == hashlib.sha256(packed).hexdigest()
    assert artifact.status == "parsed" and artifact.evidence.summary["findings"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "params", "status", "message"),
    [
        (b"hello", {}, 415, "unsupported or unrecognised format"),
        (b'{"SchemaVersion": 2, "Results": [', {}, 422, "malformed Trivy JSON report"),
        (TRIVY, {"kind": "sbom"}, 422, "looks like Trivy JSON report"),
        (TRIVY, {"kind": "banana"}, 422, "unknown kind"),
        (TRIVY, {"commit": "abc123"}, 422, "full 40-character"),
        (TRIVY, {"service": "nope"}, 404, "unknown service"),
        (b"", {}, 422, "empty upload"),
        (b"\x1f\x8b\x08\x00garbage", {}, 422, "corrupt gzip"),
    ],
)
def test_bad_uploads_get_clear_4xx(api, data, params, status, message):
    response = upload(api, data=data, **params)
    assert response.status_code == status, response.content
    assert message in response.json()["detail"]


@pytest.mark.django_db
def test_refused_content_keeps_its_raw_bytes(api):
    response = upload(api, data=b"not a report at all")
    artifact = Artifact.objects.get(pk=response.json()["artifact"]["id"])
    assert artifact.status == "failed" and "unrecognised" in artifact.error
    with storages["artifacts"].open(raw_path(artifact.sha256)) as stored:
        assert stored.read() == b"not a report at all"


@pytest.mark.django_db
def test_missing_fields_and_file(api):
    assert upload(api, service="").status_code == 400
    response = api.post("/api/v1/artifacts", {"service": "payments", "commit": SHA})
    assert response.status_code == 400 and "file" in response.json()["detail"]


@pytest.mark.django_db
def test_oversize_upload_is_413(api, settings):
    settings.GATEHOUSE_MAX_UPLOAD_BYTES = 100
    response = upload(api)
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert Artifact.objects.count() == 0


@pytest.mark.django_db
def test_streamed_body_beyond_the_limit_is_413(api, settings):
    settings.GATEHOUSE_MAX_UPLOAD_BYTES = len(TRIVY) - 1
    # The declared length is within the framing allowance, so the limit trips while streaming.
    response = upload(api)
    assert response.status_code == 413


@pytest.mark.django_db
def test_tokens_authenticate_and_are_scoped(service, token):
    anonymous = Client()
    assert anonymous.post(f"/api/v1/artifacts?service=payments&commit={SHA}", data=TRIVY,
                          content_type="application/json").status_code == 401  # fmt: skip
    wrong = Client(headers={"Authorization": "Bearer gh1_nothing_here"})
    assert upload(wrong).status_code == 401

    other = service_create(slug="ledger-svc")
    _tok, other_token = api_token_create(name="other", services=[other])
    response = upload(Client(headers={"Authorization": f"Bearer {other_token}"}))
    assert response.status_code == 403 and "payments" in response.json()["detail"]

    events_only_obj, events_only = api_token_create(name="events", services=[service], scopes=["events"])
    assert upload(Client(headers={"Authorization": f"Bearer {events_only}"})).status_code == 403

    api_token_revoke(token=events_only_obj, actor="test")
    assert upload(Client(headers={"Authorization": f"Bearer {events_only}"})).status_code == 401


@pytest.mark.django_db
def test_status_is_visible_to_logged_in_people_only(api, engineer):
    status_url = upload(api).json()["status_url"]
    assert Client().get(status_url).status_code == 401
    person = Client()
    person.force_login(engineer)
    assert person.get(status_url).json()["status"] == "queued"
    assert api.get("/api/v1/artifacts/999999").status_code == 404


@pytest.mark.django_db
def test_openapi_schema_documents_the_upload(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/artifacts"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"service", "commit", "kind"}
