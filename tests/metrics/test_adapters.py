"""Native webhook adapters with example payloads (tests/data/metrics) and GitHub's real ones (the corpus)."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from metrics.adapters import argo_rollouts, flagger, github, launchdarkly, pagerduty, unleash
from metrics.adapters.base import AdapterError, Hints, iso
from metrics.models import CanaryStep, Deployment, EventDelivery, FlagFlip, Incident
from releases.services import service_create
from tests.metrics.conftest import DATA, T0, at, deploy, payload

pytestmark = pytest.mark.django_db
HINTS = Hints(received_at=T0, service="payments")
ROLLOUT_COMMIT = "9f2c4e1a7b3d5f6089a1b2c3d4e5f60718293a4b"


def send(api, source: str, name: str | dict, query: str = "service=payments"):
    body = payload(name) if isinstance(name, str) else name
    return api.post(f"/api/v1/events/{source}?{query}", json.dumps(body), content_type="application/json")


# --- Argo Rollouts -----------------------------------------------------------------------------------------


def test_argo_rollout_canary_steps_and_promotion(api, service):
    for name in ("step-completed-20", "step-completed-50", "rollout-completed"):
        response = send(api, "argo-rollouts", f"argo-rollouts/{name}.json")
        assert response.status_code == 200, response.content
    deployment = Deployment.objects.get(external_id="production/checkout/6d4b9c7f5")
    assert deployment.status == "success" and deployment.commit.sha == ROLLOUT_COMMIT
    assert deployment.source == "argo-rollouts" and deployment.environment.name == "production"
    assert (deployment.started_at, deployment.finished_at) == (at(10), at(10.5))
    steps = list(deployment.canary_steps.values_list("weight", "started_at", "finished_at", "aborted"))
    # 20% from h10 to h10:10, then 50% (the last setWeight before step index 3) until promotion at h10:30
    assert steps == [(20, at(10), at(10, minutes=10), False), (50, at(10, minutes=10), at(10.5), False)]
    assert deployment.canary_steps.last().analysis == "checkout-6d4b9c7f5-7-3: Running"
    again = send(api, "argo-rollouts", "argo-rollouts/rollout-completed.json")  # a redelivery changes nothing
    assert again.json()["results"][0]["outcome"] == "unchanged"


def test_argo_rollout_abort_is_a_rolled_back_deployment(api, service):
    deploy(service, "D1", ROLLOUT_COMMIT, at(10.5))
    assert send(api, "argo-rollouts", "argo-rollouts/revision-8-step-20.json").status_code == 200
    assert send(api, "argo-rollouts", "argo-rollouts/rollout-aborted.json").status_code == 200
    deployment = Deployment.objects.get(external_id="production/checkout/7f8e9d0c1")
    assert deployment.status == "rolled_back" and deployment.is_failed and deployment.failure_rule == "status"
    [step] = deployment.canary_steps.all()
    assert step.aborted and step.finished_at == at(20.25) and "assessed Failed" in step.analysis


def test_argo_reads_service_and_environment_from_the_rollout_without_hints():
    [event] = argo_rollouts.rollout_event(payload("argo-rollouts/step-completed-20.json"), Hints(received_at=T0))
    assert event.fields["service"] == "payments"  # label app.kubernetes.io/name
    assert event.fields["environment"] == "production"  # the namespace
    assert event.fields["step_weight"] == 20
    body = payload("argo-rollouts/step-completed-20.json")
    del body["event"], body["time"]
    body["rollout"]["status"].update({"phase": "Healthy", "stableRS": "6d4b9c7f5"})
    [event] = argo_rollouts.rollout_event(body, Hints(received_at=at(3), service="payments"))
    assert event.fields["outcome"] == "success" and event.fields["at"] == at(3).isoformat()
    with pytest.raises(AdapterError, match="rollout"):
        argo_rollouts.rollout_event({"event": "on-rollout-updated"}, HINTS)


# --- Flagger -----------------------------------------------------------------------------------------------


def test_flagger_canary_that_is_promoted(api, service):
    names = ["01-new-revision", "02-starting", "03-advance-10", "04-advance-20", "05-copying", "06-promotion-completed"]
    for name in names:
        response = send(api, "flagger", f"flagger/{name}.json", f"service=payments&commit={ROLLOUT_COMMIT}")
        assert response.status_code == 200, response.content
    deployment = Deployment.objects.get(external_id="production/payments/85d557f47b")
    assert deployment.status == "success" and deployment.commit.sha == ROLLOUT_COMMIT
    assert (deployment.started_at, deployment.finished_at) == (at(30), at(30, minutes=8))
    weights = list(deployment.canary_steps.values_list("weight", "started_at", "finished_at"))
    assert weights == [(10, at(30, minutes=2), at(30, minutes=4)), (20, at(30, minutes=4), at(30, minutes=8))]


def test_flagger_canary_that_rolls_back(api, service):
    for name in ("fail-01-new-revision", "fail-02-advance-10", "fail-03-halt", "fail-04-rolling-back"):
        assert send(api, "flagger", f"flagger/{name}.json").status_code == 200
    deployment = Deployment.objects.get(external_id="production/payments/c0ffee1234")
    assert deployment.status == "rolled_back" and deployment.commit is None  # no commit was named
    [step] = deployment.canary_steps.all()
    assert step.aborted and step.weight == 10 and step.analysis.startswith("Rolling back payments.production")
    assert deployment.finished_at == at(40, minutes=5)


def test_flagger_halt_message_becomes_the_open_steps_analysis(api, service):
    for name in ("fail-01-new-revision", "fail-02-advance-10", "fail-03-halt"):
        send(api, "flagger", f"flagger/{name}.json")
    step = CanaryStep.objects.get()
    assert step.analysis == "Halt payments.production advancement request-success-rate 55.69 < 99"
    assert step.finished_at is None


def test_flagger_gating_hooks_are_not_events(api, service):
    response = send(api, "flagger", "flagger/pre-rollout-hook.json")
    assert response.status_code == 202 and response.json()["status"] == "ignored"
    assert EventDelivery.objects.get().status == "ignored"


# --- LaunchDarkly and Unleash --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kill", "enabled"),
    [
        ("flag-off-kill-switch", True, False),  # turned off, comment "Kill switch: ..."
        ("flag-off-routine", False, False),  # turned off, comment "experiment finished"
        ("flag-off-tagged", True, False),  # turned off, no comment, flag tagged kill-switch
        ("flag-on", False, True),  # turned on: never a kill switch
    ],
)
def test_launchdarkly_flag_flips(api, service, name, kill, enabled):
    assert send(api, "launchdarkly", f"launchdarkly/{name}.json").status_code == 200
    flip = FlagFlip.objects.get()
    assert (flip.flag_key, flip.kill_switch, flip.enabled, flip.source) == (
        "checkout-v2",
        kill,
        enabled,
        "launchdarkly",
    )
    assert flip.environment.name == "production"


def test_launchdarkly_kill_switch_ends_a_failed_deployments_recovery(api, service):
    deploy(service, "D1", "a1", at(0))
    d2 = deploy(service, "D2", "b2", at(10))
    send(api, "pagerduty", "pagerduty/incident-triggered.json")  # opened h11 -> D2 (time window)
    send(api, "launchdarkly", "launchdarkly/flag-off-kill-switch.json")  # h12
    d2 = Deployment.objects.get(pk=d2.pk)
    assert (d2.recovery_s, d2.recovery_rule) == (7200.0, "kill-switch")


def test_launchdarkly_other_changes_are_not_flips():
    assert launchdarkly.flag_change(payload("launchdarkly/targeting-change.json"), HINTS) == []
    assert launchdarkly.flag_change({"kind": "segment"}, HINTS) == []
    body = payload("launchdarkly/flag-on.json")
    body["accesses"] = [{"action": "updateOn", "resource": "proj/default:flag/x"}]
    with pytest.raises(AdapterError, match="resource"):
        launchdarkly.flag_change(body, HINTS)


@pytest.mark.parametrize(
    ("name", "kill", "enabled"),
    [
        ("feature-environment-disabled-kill-switch", True, False),
        ("feature-environment-disabled", False, False),
        ("feature-environment-enabled", False, True),
    ],
)
def test_unleash_flag_flips(api, service, name, kill, enabled):
    assert send(api, "unleash", f"unleash/{name}.json", "").status_code == 200  # service from the project
    flip = FlagFlip.objects.get()
    assert (flip.kill_switch, flip.enabled, flip.flag_key) == (kill, enabled, "checkout-v2")


def test_unleash_kill_switch_type_and_other_events():
    assert unleash.feature_event(payload("unleash/feature-created.json"), HINTS) == []
    body = payload("unleash/feature-environment-disabled.json") | {"data": {"type": "kill-switch"}}
    assert unleash.feature_event(body, HINTS)[0].fields["kill_switch"] is True


# --- PagerDuty ---------------------------------------------------------------------------------------------


def test_pagerduty_incident_lifecycle(api, service):
    deploy(service, "D1", "a1", at(10))
    assert send(api, "pagerduty", "pagerduty/incident-triggered.json").status_code == 200
    incident = Incident.objects.get()
    assert (incident.external_id, incident.opened_at, incident.detected_at) == (
        "pagerduty-Q2DGPXJ6ZCPFYA",
        at(11),
        at(11),
    )
    assert (incident.severity, incident.title, incident.source) == ("P1", "Checkout error rate above 5%", "pagerduty")
    assert incident.attribution_rule == "time-window"
    assert send(api, "pagerduty", "pagerduty/incident-acknowledged.json").json()["results"][0]["outcome"] == "unchanged"
    send(api, "pagerduty", "pagerduty/incident-resolved.json")
    assert Incident.objects.get().resolved_at == at(13)
    send(api, "pagerduty", "pagerduty/incident-reopened.json")
    assert Incident.objects.get().resolved_at is None


def test_pagerduty_resolution_before_its_trigger_still_records_the_incident(api, service):
    send(api, "pagerduty", "pagerduty/incident-resolved.json")
    incident = Incident.objects.get()
    assert (incident.opened_at, incident.resolved_at) == (at(11), at(13))


def test_pagerduty_ping_is_ignored(api, service):
    assert send(api, "pagerduty", "pagerduty/ping.json").status_code == 202
    assert pagerduty.incident_event({"event": {"event_type": "service.updated", "data": {}}}, HINTS) == []


# --- the endpoint: refusals, storage, replay ----------------------------------------------------------------


def test_refused_bodies_are_kept_and_can_be_replayed(api, service, db):
    assert (
        api.post("/api/v1/events/pagerduty?service=payments", "{not json", content_type="application/json").status_code
        == 400
    )
    unknown_service = send(api, "pagerduty", "pagerduty/incident-triggered.json", "service=later")
    assert unknown_service.status_code == 404 and "unknown service 'later'" in unknown_service.json()["detail"]
    no_service = send(api, "launchdarkly", "launchdarkly/flag-on.json", "")
    assert no_service.status_code == 422 and "?service=" in no_service.json()["detail"]
    assert api.post("/api/v1/events/pagerduty", "[1]", content_type="application/json").status_code == 400
    assert send(api, "pagerduty", {"event": {"event_type": "incident.triggered"}}).status_code == 422
    deliveries = EventDelivery.objects.order_by("pk")
    assert [d.status for d in deliveries] == ["failed"] * 5
    assert not Incident.objects.exists()
    service_create(slug="later", name="Later")  # once the service exists, the kept body is used
    call_command("metrics_event_replay", deliveries[1].pk)
    assert Incident.objects.get().service.slug == "later"
    assert EventDelivery.objects.get(pk=deliveries[1].pk).status == "processed"
    call_command("metrics_event_replay", "--failed")  # the others are still unusable; nothing breaks


def test_the_endpoint_checks_adapter_token_scope_and_size(api, service, token, db):
    assert send(api, "nagios", {"x": 1}).status_code == 404
    assert Client().post("/api/v1/events/pagerduty", "{}", content_type="application/json").status_code == 401
    by_query = Client().post(
        f"/api/v1/events/launchdarkly?service=payments&token={token}",
        json.dumps(payload("launchdarkly/flag-on.json")),
        content_type="application/json",
    )
    assert by_query.status_code == 200  # for senders that cannot set an Authorization header
    huge = api.post("/api/v1/events/pagerduty?service=payments", "x" * (1024 * 1024 + 1), content_type="text/plain")
    assert huge.status_code == 413
    other = service_create(slug="other", name="Other")
    from access.services import api_token_create

    _t, plaintext = api_token_create(name="o", services=[other])
    refused = send(
        Client(headers={"Authorization": f"Bearer {plaintext}"}), "pagerduty", "pagerduty/incident-triggered.json"
    )
    assert refused.status_code == 403 and EventDelivery.objects.filter(status="failed").count() == 1


def test_base_helpers():
    assert iso("2025-03-03T10:00:00", "t") == "2025-03-03T10:00:00+00:00"
    with pytest.raises(AdapterError):
        iso("soon", "t")
    with pytest.raises(AdapterError):
        iso(None, "t")
    with pytest.raises(AdapterError, match="environment"):
        flagger.canary_event({"name": "x", "namespace": "", "metadata": {}} | {"namespace": "!!!"}, HINTS)
    with pytest.raises(AdapterError, match="millisecond"):
        flagger.canary_event({"name": "x", "metadata": {"timestamp": "later"}}, HINTS)
    assert sorted(p.name for p in DATA.iterdir() if p.is_dir()) == [
        "argo-rollouts",
        "flagger",
        "launchdarkly",
        "pagerduty",
        "unleash",
    ]


# --- GitHub deployment_status and workflow_run (real payloads) ----------------------------------------------

GITHUB_SECRET = "It's a Secret to Everybody"


def github_post(event: str, body: dict, delivery: str):
    import hashlib
    import hmac

    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return Client().post(
        "/hooks/github",
        raw,
        content_type="application/json",
        headers={"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature},
    )


@pytest.fixture
def github_secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = GITHUB_SECRET


def corpus(name: str) -> dict:
    from tests.corpus import corpus_file

    return json.loads(corpus_file(f"github-webhooks/{name}.json").read_text())


def test_github_deployment_status_records_a_deployment(github_secret, db):
    hello = service_create(slug="hello", name="Hello", repository="Codertocat/Hello-World")
    body = corpus("deployment_status.created-octokit")
    assert github_post("deployment_status", body, "d-1").status_code == 200
    deployment = Deployment.objects.get(service=hello)
    assert deployment.external_id == "github-145988746" and deployment.status == "success"
    assert deployment.commit.sha == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    assert deployment.started_at.isoformat() == "2019-05-15T15:20:53+00:00"
    assert deployment.finished_at.isoformat() == "2019-05-15T15:20:55+00:00"
    assert deployment.environment.name == "production" and deployment.source == "github"
    failed = json.loads(json.dumps(body))
    failed["deployment_status"].update({"state": "failure", "created_at": "2019-05-15T15:25:00Z"})
    github_post("deployment_status", failed, "d-2")
    assert Deployment.objects.get(service=hello).status == "failed"


def test_github_deployment_status_states():
    body = corpus("deployment_status.created-octokit")
    hints = Hints(received_at=T0, service="hello")
    body["deployment_status"]["state"] = "in_progress"
    assert github.deployment_status(body, hints)[0].kind == "deployment_progress"
    body["deployment_status"]["state"] = "inactive"
    assert github.deployment_status(body, hints) == []
    del body["deployment"]
    with pytest.raises(AdapterError, match="deployment"):
        github.deployment_status(body, hints)


def test_github_workflow_run_records_a_gate_run_with_queue_time(github_secret, db):
    from metrics.models import GateRun

    repo = service_create(slug="octo", name="Octo", repository="octo-org/octo-repo")
    body = corpus("workflow_run.completed-octokit")
    assert github_post("workflow_run", body, "w-1").status_code == 200
    run = GateRun.objects.get(service=repo)
    # name "" in the run: the workflow's name; created 16:33:24, started 16:33:49 -> 25 s in the queue
    assert (run.gate, run.status, run.attempt, run.queue_s, run.duration_s) == ("test", "pass", 1, 25.0, 0.0)
    assert run.sha == "3484a3fb816e0859fd6e1cea078d76385ff50625" and run.external_id == "github-run-289782451-1"


def test_github_workflow_run_verdicts():
    body = corpus("workflow_run.completed-octokit")
    hints = Hints(received_at=T0, service="octo")
    body["workflow_run"].update({"conclusion": "failure", "run_attempt": 2, "updated_at": "2020-10-05T16:35:49Z"})
    [event] = github.workflow_run(body, hints)
    assert (event.fields["status"], event.fields["queue_s"], event.fields["duration_s"]) == ("fail", None, 120.0)
    body["workflow_run"]["conclusion"] = "cancelled"
    assert github.workflow_run(body, hints) == []
    assert github.workflow_run(body | {"action": "requested"}, hints) == []
