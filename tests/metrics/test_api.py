"""The event API: refusals (4xx naming the problem), idempotency, nothing accepted lost; DORA over HTTP."""

import pytest
from django.test import Client

from access.services import api_token_create
from ledger.models import LedgerEntry
from metrics.models import CanaryStep, Deployment, FlagFlip, GateRun, Incident
from releases.models import Environment
from releases.services import service_create
from tests.metrics.conftest import sha

pytestmark = pytest.mark.django_db
COMMIT = sha("abc1")


def deployment_body(**changes) -> dict:
    body = {
        "service": "payments",
        "environment": "production",
        "external_id": "deploy-41",
        "commit": COMMIT,
        "started_at": "2025-03-03T10:00:00Z",
        "finished_at": "2025-03-03T10:12:00+00:00",
        "status": "success",
        "build": "run-77",
        "commits": [{"sha": COMMIT, "authored_at": "2025-03-03T08:00:00Z"}],
        "canary": [
            {
                "weight": 20,
                "started_at": "2025-03-03T10:01:00Z",
                "finished_at": "2025-03-03T10:06:00Z",
                "analysis": "Successful",
            },
            {"weight": 100, "started_at": "2025-03-03T10:06:00Z", "finished_at": "2025-03-03T10:12:00Z"},
        ],
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def post(api, path: str, body: dict):
    return api.post(f"/api/v1/{path}", body, content_type="application/json")


def test_a_deployment_is_created_then_idempotent_then_updated(api, service):
    first = post(api, "deployments", deployment_body())
    assert first.status_code == 201, first.content
    assert first.json()["outcome"] == "created" and first.json()["external_id"] == "deploy-41"
    deployment = Deployment.objects.get(external_id="deploy-41")
    assert deployment.commit.sha == COMMIT and deployment.build == "run-77" and deployment.source == "api"
    assert CanaryStep.objects.filter(deployment=deployment).count() == 2
    assert deployment.changes.get().lead_time_s == 7920.0  # 08:00 -> 10:12 is 2 h 12 min
    entries = LedgerEntry.objects.count()

    again = post(api, "deployments", deployment_body())
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")
    assert LedgerEntry.objects.count() == entries  # the same payload changes nothing, not even the audit

    rolled_back = post(api, "deployments", deployment_body(status="rolled_back"))
    assert (rolled_back.status_code, rolled_back.json()["outcome"]) == (200, "updated")
    entry = LedgerEntry.objects.order_by("-seq").first()
    assert entry.action == "deployment.updated" and entry.data["changed"] == ["status"]
    assert Deployment.objects.get(external_id="deploy-41").is_failed
    # optional fields left out keep their values
    post(api, "deployments", deployment_body(build=..., commits=..., canary=...))
    deployment = Deployment.objects.get(external_id="deploy-41")
    assert deployment.build == "run-77" and deployment.canary_steps.count() == 2 and deployment.changes.count() == 1


def test_an_environment_named_for_the_first_time_is_created(api, service):
    assert post(api, "deployments", deployment_body(environment="eu-west")).status_code == 201
    assert Environment.objects.filter(name="eu-west").exists()
    assert LedgerEntry.objects.filter(action="environment.created", subject_id="eu-west").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"commit": "abc"}, "commit"),
        ({"commit": "g" * 40}, "commit"),
        ({"started_at": "2025-03-03T10:00:00"}, "started_at"),  # no offset
        ({"finished_at": "yesterday"}, "finished_at"),
        ({"status": "ok"}, "status"),
        ({"environment": "prod eu"}, "environment"),
        ({"external_id": ""}, "external_id"),
        ({"service": ...}, "service"),
        ({"commits": [{"sha": "nope"}]}, "sha"),
        ({"canary": [{"weight": 150, "started_at": "2025-03-03T10:01:00Z"}]}, "weight"),
    ],
)
def test_malformed_deployments_are_422_naming_the_field(api, service, changes, field):
    response = post(api, "deployments", deployment_body(**changes))
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert not Deployment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"finished_at": "2025-03-03T09:00:00Z"}, "finished_at: is before started_at"),
        (
            {"canary": [{"weight": 10, "started_at": "2025-03-03T10:05:00Z", "finished_at": "2025-03-03T10:01:00Z"}]},
            "canary[0].finished_at",
        ),
    ],
)
def test_inconsistent_deployments_are_422_and_leave_nothing_behind(api, service, changes, field):
    response = post(api, "deployments", deployment_body(**changes))
    assert response.status_code == 422 and field in response.json()["detail"]
    assert not Deployment.objects.exists() and not CanaryStep.objects.exists()


def test_authentication_service_and_scope(api, service, db):
    assert Client().post("/api/v1/deployments", deployment_body(), content_type="application/json").status_code == 401
    unknown = post(api, "deployments", deployment_body(service="nope"))
    assert unknown.status_code == 404 and "unknown service 'nope'" in unknown.json()["detail"]
    other = service_create(slug="ledger-svc", name="Other")
    _token, plaintext = api_token_create(name="other", services=[other])
    foreign = Client(headers={"Authorization": f"Bearer {plaintext}"})
    assert post(foreign, "deployments", deployment_body()).status_code == 403
    _token, ingest_only = api_token_create(name="ingest", services=[service], scopes=["ingest"])
    refused = post(Client(headers={"Authorization": f"Bearer {ingest_only}"}), "deployments", deployment_body())
    assert refused.status_code == 403 and "scope events" in refused.json()["detail"]


def incident_body(**changes) -> dict:
    body = {
        "service": "payments",
        "environment": "production",
        "external_id": "INC-7",
        "opened_at": "2025-03-03T11:00:00Z",
        "severity": "sev2",
        "title": "checkout errors",
    }
    body.update(changes)
    return body


def test_incidents_are_resolved_by_reposting(api, service):
    post(api, "deployments", deployment_body())
    created = post(api, "incidents", incident_body())
    assert created.status_code == 201
    row = Incident.objects.get()
    assert row.detected_at == row.opened_at  # detected_at defaults to opened_at
    assert row.attributed_deployment.external_id == "deploy-41" and row.attribution_rule == "time-window"
    resolved = post(
        api,
        "incidents",
        {key: value for key, value in incident_body(resolved_at="2025-03-03T12:30:00Z").items() if key != "severity"},
    )
    assert (resolved.status_code, resolved.json()["outcome"]) == (200, "updated")
    row = Incident.objects.get()
    assert row.severity == "sev2"  # left out of the re-post: kept
    assert row.resolved_at.isoformat() == "2025-03-03T12:30:00+00:00"
    assert post(api, "incidents", incident_body(resolved_at=None)).json()["outcome"] == "updated"  # reopened
    assert Incident.objects.get().resolved_at is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"detected_at": "2025-03-03T10:00:00Z"}, "detected_at: is before opened_at"),
        ({"resolved_at": "2025-03-03T10:59:00Z"}, "resolved_at: is before"),
        ({"caused_by_commit": "xyz"}, "caused_by_commit"),
        ({"opened_at": "2025-03-03"}, "opened_at"),
    ],
)
def test_malformed_incidents_are_422(api, service, changes, message):
    response = post(api, "incidents", incident_body(**changes))
    assert response.status_code == 422 and message in str(response.json()["detail"])
    assert not Incident.objects.exists()


def test_flag_flips_and_gate_runs(api, service):
    flip = {
        "service": "payments",
        "environment": "production",
        "external_id": "ld-1",
        "flag_key": "checkout-v2",
        "flipped_at": "2025-03-03T12:00:00Z",
        "kill_switch": True,
        "enabled": False,
    }
    assert post(api, "flag-flips", flip).status_code == 201
    assert post(api, "flag-flips", flip).json()["outcome"] == "unchanged"
    assert FlagFlip.objects.get().kill_switch
    assert post(api, "flag-flips", flip | {"flag_key": ""}).status_code == 422
    run = {
        "service": "payments",
        "external_id": "gh-1-1",
        "gate": "unit-tests",
        "run_id": "1",
        "sha": COMMIT,
        "attempt": 1,
        "status": "fail",
        "duration_s": 93.5,
        "started_at": "2025-03-03T09:00:00Z",
        "queue_s": 12,
    }
    assert post(api, "gate-runs", run).status_code == 201
    assert post(api, "gate-runs", run | {"status": "pass"}).json()["outcome"] == "updated"
    assert GateRun.objects.get().status == "pass"
    for bad in ({"status": "passed"}, {"attempt": 0}, {"duration_s": -1}, {"sha": "short"}):
        assert post(api, "gate-runs", run | bad).status_code == 422


def test_dora_over_http(api, service, browser_client):
    post(api, "deployments", deployment_body())
    post(api, "incidents", incident_body(resolved_at="2025-03-03T12:00:00Z"))
    query = "service=payments&environment=production&from=2025-03-03T00:00:00Z&to=2025-03-04T00:00:00Z"
    response = api.get(f"/api/v1/metrics/dora?{query}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["deployments"] == 1 and data["deployment_frequency_per_day"] == 1.0
    assert data["change_failure_rate"] == {"failed": 1, "total": 1, "rate": 1.0}
    assert data["lead_time_s"] == {"p50": 7920.0, "p75": 7920.0, "p90": 7920.0, "n": 1}  # 08:00 -> 10:12
    assert data["time_to_restore_s"]["p50"] == 3600.0
    assert data["recovery_time_s"]["p50"] == 6480.0  # 10:12 -> 12:00, the incident's resolution
    assert "lead_time_breakdown_s" not in data
    split = api.get(f"/api/v1/metrics/dora?{query}&breakdown=true").json()["lead_time_breakdown_s"]
    assert split["deploy"] == {"p50": 7920.0, "p75": 7920.0, "p90": 7920.0, "n": 1}  # no PR: all deploy time
    assert browser_client.get(f"/api/v1/metrics/dora?{query}").status_code == 200  # a logged-in person
    assert Client().get(f"/api/v1/metrics/dora?{query}").status_code == 401
    assert api.get("/api/v1/metrics/dora?service=payments&environment=moon").status_code == 404
    assert api.get("/api/v1/metrics/dora?service=payments").status_code == 422
    backwards = api.get("/api/v1/metrics/dora?service=payments&environment=production&from=2025-03-04&to=2025-03-03")
    assert backwards.status_code == 422 and "from" in backwards.json()["detail"]
    default = api.get("/api/v1/metrics/dora?service=payments&environment=production").json()
    assert default["deployments"] == 0  # the default window is the last 30 days, long after T0


def test_drilldown_over_http(api, service):
    post(api, "deployments", deployment_body())
    post(api, "incidents", incident_body())
    query = "service=payments&environment=production&from=2025-03-03&to=2025-03-04"
    failures = api.get(f"/api/v1/metrics/dora/rows?{query}&metric=change_failure_rate").json()
    assert failures["count"] == 1
    [row] = failures["rows"]
    assert row["external_id"] == "deploy-41" and row["failure_rule"] == "incident" and row["counted"] is True
    incidents = api.get(f"/api/v1/metrics/dora/rows?{query}&metric=time_to_restore").json()
    assert incidents["rows"][0]["attribution_rule"] == "time-window" and incidents["rows"][0]["counted"] is False
    changes = api.get(f"/api/v1/metrics/dora/rows?{query}&metric=lead_time").json()
    assert changes["rows"][0]["sha"] == COMMIT and changes["rows"][0]["origin"] == "listed"
    assert api.get(f"/api/v1/metrics/dora/rows?{query}&metric=vibes").status_code == 422
    assert api.get(f"/api/v1/metrics/dora/rows?{query}&metric=lead_time&limit=0").status_code == 422


def test_drilldown_selector_rows_for_each_metric(service):
    from metrics.dora import DRILLDOWN, dora_rows, incident_rows_for
    from tests.metrics.conftest import at, deploy, incident

    deploy(service, "D1", "a1", at(0))
    d2 = deploy(service, "D2", "b2", at(10), status="failed")
    deploy(service, "D3", "b3", at(12))
    incident(service, "I1", at(10.5), caused_by_deployment="D2")
    env = Environment.objects.get(name="production")
    rows = {m: list(dora_rows(service=service, environment=env, start=at(-1), end=at(24), metric=m)) for m in DRILLDOWN}
    assert len(rows["deployments"]) == 3
    assert [r["external_id"] for r in rows["recovery_time"]] == ["D2"]
    assert rows["recovery_time"][0]["recovery_rule"] == "next-success" and rows["recovery_time"][0]["incidents"] == 1
    assert [r["external_id"] for r in rows["rework_rate"] if r["counted"]] == ["D3"]
    assert [i["attribution_rule"] for i in incident_rows_for(d2)] == ["explicit"]
    with pytest.raises(ValueError):
        dora_rows(service=service, environment=env, start=at(-1), end=at(24), metric="vibes")
