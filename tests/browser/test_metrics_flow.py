"""Click through the delivery dashboard, a drill-down and the flaky board as an engineer does."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from access.roles import ENGINEERS
from metrics.demo import demo_metrics_load, demo_metrics_plan
from metrics.models import GateQuarantine
from releases.services import service_create
from tests.conftest import PASSWORD, make_user


@pytest.fixture
def demo(transactional_db):
    service_create(slug="payments", repository="acme/payments")
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    demo_metrics_load(demo_metrics_plan(seed=9, end=end, days=30, services=("payments",)))
    make_user("erin", ENGINEERS)


@pytest.mark.browser
def test_dashboard_filter_updates_charts_and_drills_down(demo, new_page):
    page = new_page("erin", PASSWORD)
    page.click("header nav >> text=Metrics")
    page.wait_for_url("**/metrics/")
    panel = page.locator("#panel")
    expect(panel).to_have_attribute("data-environment", "production")
    expect(page.locator('[data-chart="trend-cfr"]')).to_have_attribute("data-drawn", "true")
    expect(page.locator('[data-chart="trend-cfr"] .main-svg').first).to_be_visible()

    # Changing a filter swaps the panel over HTMX (no full reload) and the charts are drawn again.
    page.evaluate("window.__marker = 'kept'")
    page.select_option("select[name=environment]", "staging")
    expect(page.locator("#panel")).to_have_attribute("data-environment", "staging")
    expect(page.locator('[data-chart="trend-deployments"]')).to_have_attribute("data-drawn", "true")
    assert page.evaluate("window.__marker") == "kept"
    assert "environment=staging" in page.url

    # Every number links to its rows.
    page.locator("#tile-cfr a.big").click()
    page.wait_for_url(re.compile(r"/metrics/rows/change_failure_rate/"))
    expect(page.locator("h1")).to_contain_text("Change failure rate")
    expect(page.locator("#rows tbody tr").first).to_be_visible()
    expect(page.locator("#rows")).to_contain_text("status")


@pytest.mark.browser
def test_quarantine_a_flaky_gate_from_the_board(demo, new_page):
    page = new_page("erin", PASSWORD)
    page.click("header nav >> text=Flaky board")
    row = page.locator("#gate-e2e-browser")
    expect(row).to_have_attribute("data-state", "flaky")
    row.locator("summary", has_text="Quarantine").click()
    row.locator("textarea[name=reason]").fill("browser grid drops sessions; ticket QA-12")
    row.locator("button", has_text="Quarantine e2e-browser").click()
    expect(page.locator(".flash.success")).to_contain_text("e2e-browser quarantined until")
    expect(page.locator("#gate-e2e-browser .chip.quarantined")).to_be_visible()
    expect(page.locator("#quarantines")).to_contain_text("browser grid drops sessions")
    assert GateQuarantine.objects.get(gate="e2e-browser").owner == "erin"
