"""Click through a release as people do: create it, watch gates evaluate as artifacts arrive, sign off."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from access.roles import ENGINEERS, RELEASE_MANAGERS
from access.services import api_token_create
from releases.models import Commit
from releases.services import service_create
from tests.conftest import PASSWORD, make_user
from tests.evidence.parsers.helpers import DATA

SHA = "7" * 40


@pytest.fixture
def people(transactional_db):
    service = service_create(slug="payments", repository="acme/payments")
    _token, plaintext = api_token_create(name="ci", services=[service])
    return {
        "service": service,
        "token": plaintext,
        "alice": make_user("alice", RELEASE_MANAGERS),
        "erin": make_user("erin", ENGINEERS),
    }


def _upload(live_server, token, path):
    client = Client(headers={"Authorization": f"Bearer {token}"})
    response = client.post(f"/api/v1/artifacts?service=payments&commit={SHA}", data=path.read_bytes(),
                           content_type="application/octet-stream")  # fmt: skip
    assert response.status_code == 202, response.content


@pytest.mark.browser
def test_create_release_watch_gates_and_sign_off(people, new_page, live_server, run_jobs):
    page = new_page("alice", PASSWORD)
    page.click("text=Releases")
    page.click("text=New release")
    page.select_option("select[name=service]", "payments")
    page.fill("input[name=version]", "3.1.0")
    page.fill("input[name=commit]", SHA)
    page.get_by_role("button", name="Create and evaluate").click()
    page.wait_for_url(re.compile(r"/releases/\d+/$"))
    coverage = page.locator("#item-coverage")
    expect(coverage).to_have_attribute("data-state", "pending")
    expect(coverage).to_contain_text("waiting for coverage evidence")

    # CI uploads a coverage report; the worker parses it and re-evaluates; the page updates itself (HTMX).
    _upload(live_server, people["token"], DATA / "release" / "coverage-summary.json")
    run_jobs()
    run_jobs()
    expect(coverage).to_have_attribute("data-state", "pass", timeout=20000)
    expect(coverage).to_contain_text("coverage.line_pct = 86")

    # A second person, an engineer, signs off the rollback item they own.
    other = new_page("erin", PASSWORD)
    other.goto(page.url)
    item = other.locator("#item-rollback-validated")
    item.locator("summary", has_text="Sign off").click()
    item.locator("textarea[name=comment]").fill("rollback exercised in staging")
    item.locator("input[name=evidence_url]").fill("https://ci.example.com/runs/77")
    item.locator("button", has_text="Sign off").click()
    expect(other.locator("#item-rollback-validated")).to_have_attribute("data-state", "pass")
    expect(other.locator(".flash.success")).to_contain_text("rollback-validated signed off")


@pytest.mark.browser
def test_signing_off_ones_own_change_is_refused(people, new_page):
    from checklists.services import release_create

    release, _ = release_create(service=people["service"], version="3.2.0", commit_sha=SHA,
                                checklist_name="release-v1", actor="test")  # fmt: skip
    Commit.objects.filter(pk=release.commit_id).update(author="alice")
    page = new_page("alice", PASSWORD)
    page.goto(f"/releases/{release.pk}/")
    item = page.locator("#item-canary-plan")
    item.locator("summary", has_text="Sign off").click()
    item.locator("textarea[name=comment]").fill("my own plan")
    item.locator("input[name=evidence_url]").fill("https://wiki.example.com/plan")
    item.locator("button", has_text="Sign off").click()
    expect(page.locator(".flash.error")).to_contain_text("separation of duties")
    expect(page.locator("#item-canary-plan")).to_have_attribute("data-state", "pending")
