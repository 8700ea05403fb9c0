"""The dashboard and the benchmark's hand-written baseline query compute the same figures over the same rows.

The benchmark compares their speed; this test holds them to the same answers on a small copy of its data,
so neither a rollup nor a consolidated query can drift from the plain aggregate over the event rows.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection

from metrics import benchmark
from metrics.dashboard import dashboard_data, trend_bucket
from releases.models import Environment, Service

pytestmark = pytest.mark.django_db

PARTS = "deployments, lead, segments, incidents, queue, recovery_trend, lead_trend, canary"


def baseline_parts(service, environment, start, end) -> dict:
    params = {"s": service.pk, "e": environment.pk, "start": start, "end": end, "bucket": trend_bucket(start, end)}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT to_jsonb(b) FROM ({benchmark._BASELINE}) b({PARTS})", params)
        return json.loads(cursor.fetchone()[0])  # Django leaves jsonb undecoded for JSONField


def values(figure: dict) -> list | None:
    return None if figure["n"] == 0 else [figure["p50"], figure["p75"], figure["p90"]]


def test_the_seed_is_written_once():
    assert benchmark.seed(deployments=200, incidents=40, gate_runs=1000) is True
    assert benchmark.seed(deployments=200, incidents=40, gate_runs=1000) is False


@pytest.mark.parametrize("days", [30, 365, 3 * 365])
def test_dashboard_figures_equal_the_baseline_query(days):
    benchmark.seed(deployments=4000, incidents=800, gate_runs=20_000)
    service, environment = Service.objects.get(slug="bench-dash-0"), Environment.objects.get(name="bench-dash-0")
    start = benchmark.END - timedelta(days=days, hours=5)  # a window that starts mid-day
    page = dashboard_data(service=service, environment=environment, start=start, end=benchmark.END)
    expected = baseline_parts(service, environment, start, benchmark.END)
    figures = page["figures"]
    assert figures["deployments"] > 0 and page["queue"]["n"] > 0
    deployments, lead, incidents, queue = (expected[k] for k in ("deployments", "lead", "incidents", "queue"))
    assert [figures["deployments"], figures["change_failure_rate"]["failed"]] == [deployments["f1"], deployments["f2"]]
    assert values(figures["recovery_time_s"]) == pytest.approx(deployments["f3"])
    assert figures["lead_time_s"]["n"] == lead["f1"] and values(figures["lead_time_s"]) == pytest.approx(lead["f2"])
    for number, segment in enumerate(("coding", "pickup", "review", "deploy"), start=1):
        assert values(page["breakdown"][segment]) == pytest.approx(expected["segments"][f"f{number}"])
    assert values(figures["time_to_restore_s"]) == pytest.approx(incidents["f2"])
    assert values(figures["time_to_detect_s"]) == pytest.approx(incidents["f3"])
    assert page["queue"]["n"] == queue["f1"] and values(page["queue"]) == pytest.approx(queue["f2"])
    assert values(page["canary"]["duration_s"]) == expected["canary"]
    trend = page["trend"]
    assert [row["recovery_p50_s"] for row in trend] == pytest.approx([r["f2"] for r in expected["recovery_trend"]])
    assert [row["lead_time_p50_s"] for row in trend] == pytest.approx([r["f2"] for r in expected["lead_trend"]])
    assert sum(row["passed"] + row["failed"] for row in page["gates"]) == queue["f1"]  # every seeded run has one
