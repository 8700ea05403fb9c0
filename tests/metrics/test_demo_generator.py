"""The demo generator: seeded and deterministic, realistic enough to fill every figure."""

from __future__ import annotations

from datetime import UTC, datetime

from metrics.demo import demo_metrics_load, demo_metrics_plan
from metrics.models import Deployment, GateRun, Incident

END = datetime(2025, 6, 1, tzinfo=UTC)


def test_same_seed_same_plan_other_seed_other_plan():
    one = demo_metrics_plan(seed=11, end=END, days=15, services=("payments",))
    two = demo_metrics_plan(seed=11, end=END, days=15, services=("payments",))
    assert one == two
    assert demo_metrics_plan(seed=12, end=END, days=15, services=("payments",)) != one


def test_plan_has_failures_incidents_kill_switches_and_flaky_gates():
    plan = demo_metrics_plan(seed=7, end=END, days=90)
    statuses = {d["status"] for d in plan.deployments}
    assert statuses == {"success", "failed", "rolled_back"}
    assert {d["environment"] for d in plan.deployments} == {"staging", "production"}
    assert any(d["canary"] for d in plan.deployments)
    assert any(i["caused_by_deployment_ref"] for i in plan.incidents)
    assert any(not i["caused_by_deployment_ref"] for i in plan.incidents)
    assert any(f["kill_switch"] for f in plan.flips)
    assert any(r["attempt"] > 1 and r["gate"] == "e2e-browser" for r in plan.gate_runs)


def test_load_is_idempotent_and_derives_figures(service):
    plan = demo_metrics_plan(seed=7, end=END, days=12, services=("payments",))
    counts = demo_metrics_load(plan)
    assert counts["deployments"] == len(plan.deployments) == Deployment.objects.count()
    assert Incident.objects.count() == len(plan.incidents)
    assert GateRun.objects.count() == len(plan.gate_runs)
    assert Deployment.objects.filter(is_failed=True).exists()
    assert demo_metrics_load(plan)["deployments"] == 0  # already there: skipped
    assert Deployment.objects.count() == len(plan.deployments)
