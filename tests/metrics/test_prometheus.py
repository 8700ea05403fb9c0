"""/metrics: Prometheus text exposition of the headline figures, and who may scrape it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from metrics.demo import demo_metrics_load, demo_metrics_plan


@pytest.fixture
def loaded(service):
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    demo_metrics_load(demo_metrics_plan(seed=5, end=end, days=20, services=("payments",)))


def test_scrape_is_prometheus_text_with_headline_gauges(client, loaded, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    assert {"gatehouse_deployments", "gatehouse_change_failure_rate", "gatehouse_lead_time_seconds",
            "gatehouse_recovery_time_seconds", "gatehouse_time_to_restore_seconds", "gatehouse_flaky_gates",
            "gatehouse_sample_size"} <= set(families)  # fmt: skip
    production = {s.labels["environment"]: s.value for s in families["gatehouse_deployments"].samples}
    assert production["production"] > 0
    quantiles = {s.labels["quantile"] for s in families["gatehouse_lead_time_seconds"].samples}
    assert quantiles == {"0.5", "0.9"}
    assert families["gatehouse_flaky_gates"].samples[0].value >= 1


def test_scrape_without_token_is_loopback_only(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_scrape_with_token_needs_the_bearer(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-scrape"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
    wrong = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    right = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-scrape")
    assert right.status_code == 200
    assert client.post("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape").status_code == 405


def test_grafana_dashboard_charts_the_exposed_gauges():
    import json
    from pathlib import Path

    import metrics

    dashboard = json.loads((Path(metrics.__file__).parent / "grafana" / "gatehouse.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for name in (
        "gatehouse_deployments",
        "gatehouse_change_failure_rate",
        "gatehouse_lead_time_seconds",
        "gatehouse_recovery_time_seconds",
        "gatehouse_time_to_restore_seconds",
        "gatehouse_flaky_gates",
    ):
        assert name in exprs  # fmt: skip
