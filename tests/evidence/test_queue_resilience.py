"""With Redis unreachable an upload is still accepted, and parsed once Redis is back."""

import pytest
from django.conf import settings

from evidence.jobs import requeue_pending_artifacts
from evidence.models import Artifact
from evidence.services import artifacts_requeue
from tests.evidence.test_intake_api import upload


@pytest.mark.django_db
def test_upload_survives_redis_outage(api, run_jobs, django_capture_on_commit_callbacks, monkeypatch):
    good_url = settings.RQ_QUEUES["ingest"]["URL"]
    monkeypatch.setitem(settings.RQ_QUEUES["ingest"], "URL", "redis://127.0.0.1:1/0")  # nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api)
    assert response.status_code == 202
    artifact = Artifact.objects.get()
    assert artifact.status == "queued"

    monkeypatch.setitem(settings.RQ_QUEUES["ingest"], "URL", good_url)
    assert artifacts_requeue(older_than_s=0) == 1
    assert artifacts_requeue(older_than_s=0) == 0  # already waiting on the queue: not queued twice
    run_jobs()
    artifact.refresh_from_db()
    assert artifact.status == "parsed" and artifact.evidence.summary["findings"] == 1


@pytest.mark.django_db
def test_cron_requeue_respects_the_grace_period(api, settings):
    upload(api)
    settings.GATEHOUSE_REQUEUE_AFTER_S = 3600
    assert requeue_pending_artifacts() == 0
