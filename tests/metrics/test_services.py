"""The recording services refuse bad values themselves (adapters and jobs call them without the API schemas)."""

from datetime import datetime

import pytest

from metrics.services import EventError, deployment_record, gate_run_record, incident_record
from tests.metrics.conftest import at, sha

pytestmark = pytest.mark.django_db


def deployment(service, **changes):
    values = {
        "service": service,
        "environment": "production",
        "external_id": "d1",
        "commit_sha": sha("a1"),
        "started_at": at(0),
        "finished_at": at(1),
        "status": "success",
        "actor": "test",
    }
    return deployment_record(**(values | changes))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"started_at": datetime(2025, 3, 3, 10, 0)}, "started_at"),
        ({"commit_sha": "nope"}, "commit"),
        ({"external_id": ""}, "external_id"),
        ({"environment": "prod eu"}, "environment"),
        ({"environment": "p" * 51}, "environment"),
        ({"status": "ok"}, "status"),
        ({"finished_at": None}, "finished_at"),
        ({"build": "b" * 201}, "build"),
    ],
)
def test_deployment_refusals(service, changes, field):
    with pytest.raises(EventError) as refused:
        deployment(service, **changes)
    assert refused.value.status == 422 and refused.value.field == field


def test_an_in_progress_deployment_needs_no_end(service):
    row, outcome = deployment(service, finished_at=None, status="in_progress", commit_sha=None)
    assert outcome == "created" and row.finished_at is None and not row.is_failed


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"severity": "s" * 51}, "severity"),
        ({"caused_by_deployment": "x" * 201}, "caused_by_deployment"),
        ({"caused_by_commit": "zz"}, "caused_by_commit"),
    ],
)
def test_incident_refusals(service, changes, field):
    with pytest.raises(EventError) as refused:
        incident_record(
            service=service, environment="production", external_id="i1", opened_at=at(0), actor="t", **changes
        )
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"gate": ""}, "gate"),
        ({"status": "ok"}, "status"),
        ({"attempt": 0}, "attempt"),
        ({"duration_s": -1}, "duration_s"),
        ({"queue_s": -1}, "queue_s"),
        ({"run_id": "r" * 201}, "run_id"),
    ],
)
def test_gate_run_refusals(service, changes, field):
    values = {
        "service": service,
        "external_id": "g1",
        "gate": "unit",
        "sha": sha("a1"),
        "status": "pass",
        "started_at": at(0),
        "actor": "t",
    }
    with pytest.raises(EventError) as refused:
        gate_run_record(**(values | changes))
    assert refused.value.field == field
