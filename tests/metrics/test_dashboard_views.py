"""The dashboard, drill-down and flaky board pages: roles, HTMX partials, CSV, scope and quarantines."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from access.models import AuditorGrant
from metrics.dashboard import gate_totals
from metrics.demo import demo_metrics_load, demo_metrics_plan
from metrics.models import GateQuarantine
from releases.services import service_create
from tests.conftest import make_user


@pytest.fixture
def loaded(service):
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return demo_metrics_load(demo_metrics_plan(seed=3, end=end, days=25, services=("payments",)))


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("who", ["engineer", "release_manager"])
def test_dashboard_renders_for_each_role(client, loaded, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/metrics/?service=payments&environment=production")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="tile-cfr"' in page and "failed /" in page
    assert "DORA 2024" in page and 'id="coverage"' in page
    assert 'src="/static/plotly/plotly.min.js"' in page and "<script>" not in page
    charts = json.loads(page.split('id="metrics-charts" type="application/json">')[1].split("</script>")[0])
    assert {"trend-cfr", "trend-lead-time", "lead-time-histogram", "gate-stack", "percentiles"} <= set(charts)
    assert 'href="/metrics/rows/lead_time/?service=payments&amp;environment=production&amp;window=30"' in page
    gates = page.split('<table id="gates">')[1].split("</table>")[0]
    assert gates.count("<tr>") > 2 and "No gate runs" not in gates


def test_gate_totals_sum_the_buckets_per_gate_most_failures_first():
    day1, day2 = timezone.now(), timezone.now() + timedelta(days=1)
    rows = [
        {"bucket": day1, "gate": "unit", "passed": 3, "failed": 1},
        {"bucket": day1, "gate": "e2e", "passed": 0, "failed": 2},
        {"bucket": day2, "gate": "unit", "passed": 1, "failed": 1},
        {"bucket": day2, "gate": "lint", "passed": 4, "failed": 0},
    ]
    assert gate_totals(rows) == [
        {"gate": "e2e", "passed": 0, "failed": 2, "runs": 2, "failure_rate": 1.0},
        {"gate": "unit", "passed": 4, "failed": 2, "runs": 6, "failure_rate": 2 / 6},
        {"gate": "lint", "passed": 4, "failed": 0, "runs": 4, "failure_rate": 0.0},
    ]
    assert gate_totals([]) == []


def test_auditor_sees_only_granted_services(client, loaded, auditor):
    other = service_create(slug="ledgerd", name="Ledgerd")
    client.force_login(auditor)
    assert "payments" not in client.get("/metrics/").content.decode().split('id="filters"')[1].split("</form>")[0]
    grant = AuditorGrant.objects.create(
        user=auditor,
        window_from=timezone.now().date() - timedelta(days=60),
        window_to=timezone.now().date(),
        expires_at=timezone.now() + timedelta(days=5),
    )
    grant.services.add(loaded_service())  # fmt: skip
    page = client.get("/metrics/?service=payments&environment=production").content.decode()
    assert 'data-service="payments"' in page and "ledgerd" not in page
    # asking for a service outside the grant falls back to a granted one; never shows the other
    assert 'data-service="payments"' in client.get(f"/metrics/?service={other.slug}").content.decode()
    assert client.get("/api/v1/metrics/flakiness?service=ledgerd").status_code == 403
    flaky = client.get("/metrics/flaky/?service=payments").content.decode()
    assert "Quarantine e2e-browser" not in flaky  # auditors read only


def test_filter_change_over_htmx_returns_the_partial(browser_client, loaded):
    response = browser_client.get("/metrics/?service=payments&environment=staging&window=7", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="panel"') and "<html" not in page
    assert 'data-environment="staging"' in page
    board = browser_client.get("/metrics/flaky/?service=payments&window=90", HTTP_HX_REQUEST="true")
    assert board.content.decode().lstrip().startswith('<section id="board"')


def test_explicit_from_to_window(browser_client, loaded):
    today = timezone.now().date()
    page = browser_client.get(
        f"/metrics/?service=payments&environment=production&from={today - timedelta(days=10)}&to={today}"
    ).content.decode()
    assert f"{today - timedelta(days=10):%Y-%m-%d} 00:00" in page


@pytest.mark.parametrize("table", ["summary", "trend", "gates", "breakdown", "coverage"])
def test_dashboard_csv_export(browser_client, loaded, table):
    response = browser_client.get(f"/metrics/?service=payments&environment=production&format=csv&table={table}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    if table == "summary":
        cfr = next(r for r in rows if r["metric"] == "change_failure_rate")
        assert int(cfr["numerator"]) <= int(cfr["denominator"])
        assert {r["metric"] for r in rows} >= {"lead_time_s", "recovery_time_s", "time_to_restore_s"}
    assert browser_client.get("/metrics/?format=csv&table=nope&service=payments").status_code == 404


def test_drilldown_lists_rows_with_their_rule(browser_client, loaded):
    page = browser_client.get("/metrics/rows/change_failure_rate/?service=payments&environment=production&window=30")
    assert page.status_code == 200
    text = page.content.decode()
    assert "failed: reported failed or rolled_back" in text or "failed: an incident is attributed to it" in text
    rows = _csv(browser_client.get("/metrics/rows/lead_time/?service=payments&environment=production&format=csv"))
    assert rows and {"sha", "lead_time_s", "rule", "counted"} <= set(rows[0])
    summary = _csv(browser_client.get("/metrics/?service=payments&environment=production&format=csv"))
    lead = next(r for r in summary if r["metric"] == "lead_time_s")
    assert int(lead["n"]) == sum(1 for r in rows if r["counted"] == "True")
    assert browser_client.get("/metrics/rows/bogus/?service=payments").status_code == 404


def test_flaky_board_shows_flaky_and_broken_and_exports(browser_client, loaded):
    page = browser_client.get("/metrics/flaky/?service=payments&window=30").content.decode()
    assert 'id="gate-e2e-browser" data-state="flaky"' in page
    rows = _csv(browser_client.get("/metrics/flaky/?service=payments&format=csv&table=gates"))
    e2e = next(r for r in rows if r["gate"] == "e2e-browser")
    assert e2e["state"] == "flaky" and float(e2e["time_lost_s"]) > 0
    assert _csv(browser_client.get("/metrics/flaky/?service=payments&format=csv&table=quarantines")) == []


def test_quarantine_create_and_lift_through_the_board(browser_client, loaded, engineer):
    expires = (timezone.now() + timedelta(days=7)).date()
    response = browser_client.post("/metrics/flaky/quarantine", {
        "service": "payments", "gate": "e2e-browser", "owner": "bob", "reason": "selenium grid flakes",
        "expires_on": expires.isoformat()})  # fmt: skip
    assert response.status_code == 302
    quarantine = GateQuarantine.objects.get(gate="e2e-browser")
    assert quarantine.owner == "bob" and quarantine.created_by == "user:bob"
    page = browser_client.get("/metrics/flaky/?service=payments").content.decode()
    assert "quarantined</span>" in page and 'data-state="active"' in page
    browser_client.post(f"/metrics/flaky/quarantine/{quarantine.pk}/lift")
    quarantine.refresh_from_db()
    assert quarantine.lifted_by == "user:bob"


def test_expired_quarantine_is_shown_as_expired(browser_client, loaded):
    GateQuarantine.objects.create(service=loaded_service(), gate="e2e-browser", owner="bob", reason="old",
                                  expires_at=timezone.now() - timedelta(days=1), created_by="user:bob")  # fmt: skip
    page = browser_client.get("/metrics/flaky/?service=payments").content.decode()
    assert 'data-state="expired"' in page and "blocking again since" in page


def loaded_service():
    from releases.models import Service

    return Service.objects.get(slug="payments")


def test_auditor_cannot_quarantine(client, loaded, auditor):
    client.force_login(auditor)
    response = client.post("/metrics/flaky/quarantine", {"service": "payments", "gate": "x", "owner": "a",
                                                         "reason": "b", "expires_on": "2999-01-01"})  # fmt: skip
    assert response.status_code == 403
    assert not GateQuarantine.objects.exists()


def test_quarantine_refusal_is_reported(browser_client, loaded):
    response = browser_client.post("/metrics/flaky/quarantine", {"service": "payments", "gate": "e2e-browser",
                                   "owner": "bob", "reason": "x", "expires_on": "2000-01-01"}, follow=True)  # fmt: skip
    assert "must be in the future" in response.content.decode()


def test_api_mirrors_the_charts(browser_client, loaded):
    trend = browser_client.get("/api/v1/metrics/trend?service=payments&environment=production").json()
    assert trend["bucket"] == "day" and trend["rows"]
    gates = browser_client.get("/api/v1/metrics/gates?service=payments&bucket=week").json()
    assert gates["rows"] and gates["ci_queue_time_s"]["n"] > 0
    flaky = browser_client.get("/api/v1/metrics/flakiness?service=payments").json()
    assert any(g["state"] == "flaky" for g in flaky["gates"])
    assert browser_client.get("/api/v1/metrics/gates?service=payments&bucket=year").status_code == 422


def test_empty_install_shows_guidance(client, db):
    client.force_login(make_user("zed"))
    assert "No service or environment yet" in client.get("/metrics/").content.decode()
