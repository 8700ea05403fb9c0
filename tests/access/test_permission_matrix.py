"""Every route x every role (and anonymous) -> the expected status, generated from the URL conf.

A new route without a row in EXPECTED fails `test_every_route_has_an_expectation`, so no view is forgotten.
Columns: anonymous, engineer, release manager, auditor (granted the payments service), admin.
Statuses are for GET, and for POST where the route changes state ("POST " rows).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from access.models import AuditorGrant
from access.services import api_token_create
from checklists.models import Waiver
from checklists.services import release_create
from releases.services import environment_get_or_create
from tests.conftest import make_user
from tests.evidence.test_intake_api import upload

ROLES = ("anonymous", "engineer", "manager", "auditor", "admin")


def _routes():
    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith("admin"):
                    continue  # Django's and django-rq's admin: staff only, tested by Django itself
                space = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
            elif isinstance(pattern, URLPattern):
                yield namespace + (pattern.name or ""), prefix + str(pattern.pattern)

    return dict(walk(get_resolver().url_patterns))


#        route name                  anonymous engineer manager auditor admin
EXPECTED: dict[str, tuple[int, ...]] = {
    "home": (302, 302, 302, 302, 302),
    "healthz": (200, 200, 200, 200, 200),
    "login": (200, 200, 200, 200, 200),
    "logout": (302, 405, 405, 405, 405),
    "github-webhook": (405, 405, 405, 405, 405),
    "token-list": (302, 403, 200, 403, 200),
    "POST token-revoke": (302, 403, 302, 403, 302),
    "service-list": (302, 200, 200, 200, 200),
    "service-new": (302, 403, 200, 403, 200),
    "service-detail": (302, 200, 200, 200, 200),
    "artifact-detail": (302, 200, 200, 200, 200),
    "artifact-raw": (302, 200, 200, 200, 200),
    "release-list": (302, 200, 200, 200, 200),
    "release-new": (302, 403, 200, 403, 200),
    "release-detail": (302, 200, 200, 200, 200),
    "POST release-approve": (302, 403, 409, 403, 409),
    "POST item-signoff": (302, 302, 302, 302, 302),
    "POST item-waiver": (302, 302, 302, 302, 302),
    "POST waiver-approve": (302, 403, 403, 403, 302),
    "bundle-list": (302, 403, 200, 200, 200),
    "POST bundle-new": (302, 403, 422, 422, 422),  # an empty form: the request is refused, not a 500
    "bundle-status": (302, 403, 200, 200, 200),
    "bundle-download": (302, 403, 404, 404, 404),  # not built yet
    "metrics-dashboard": (302, 200, 200, 200, 200),
    "metrics-rows": (302, 200, 200, 200, 200),
    "metrics-flaky": (302, 200, 200, 200, 200),
    "POST metrics-quarantine-new": (302, 404, 404, 403, 404),  # no service chosen: nothing to quarantine
    "POST metrics-quarantine-lift": (302, 302, 302, 403, 302),
    "metrics-prometheus": (200, 200, 200, 200, 200),
    "api-1:openapi-json": (200, 200, 200, 200, 200),
    "api-1:openapi-view": (200, 200, 200, 200, 200),
    "api-1:api-root": (404, 404, 404, 404, 404),
    "POST api-1:artifact_upload": (401, 401, 401, 401, 401),
    "api-1:artifact_status": (401, 200, 200, 200, 200),
    "POST api-1:release_post": (401, 401, 401, 401, 401),
    "api-1:release_get": (401, 200, 200, 200, 200),
    "POST api-1:deployment_post": (401, 401, 401, 401, 401),
    "POST api-1:incident_post": (401, 401, 401, 401, 401),
    "POST api-1:flag_flip_post": (401, 401, 401, 401, 401),
    "POST api-1:gate_run_post": (401, 401, 401, 401, 401),
    "POST api-1:event_webhook": (401, 401, 401, 401, 401),
    "api-1:dora_get": (401, 200, 200, 200, 200),
    "api-1:dora_rows_get": (401, 200, 200, 200, 200),
    "api-1:trend_get": (401, 200, 200, 200, 200),
    "api-1:gates_get": (401, 200, 200, 200, 200),
    "api-1:flakiness_get": (401, 200, 200, 200, 200),
    "POST api-1:bundle_post": (401, 400, 400, 400, 400),  # an empty body
    "api-1:bundle_status": (401, 404, 200, 200, 200),  # engineers may not export: not found for them
    "api-1:bundle_file": (401, 404, 409, 409, 409),
}  # fmt: skip


# Query strings the read endpoints need to answer with data rather than a 422 for a missing filter.
QUERY = {name: "?service=payments&environment=staging" for name in (
    "metrics-rows", "api-1:dora_get", "api-1:dora_rows_get", "api-1:trend_get", "api-1:gates_get",
    "api-1:flakiness_get", "metrics-dashboard", "metrics-flaky")}  # fmt: skip
QUERY["api-1:dora_rows_get"] += "&metric=deployments"


def test_every_route_has_an_expectation():
    missing = sorted(set(_routes()) - {k.split(" ")[-1] for k in EXPECTED})
    stale = sorted({k.split(" ")[-1] for k in EXPECTED} - set(_routes()))
    assert not missing, f"routes without a permission expectation: {missing}"
    assert not stale, f"expectations for routes that no longer exist: {stale}"


@pytest.fixture
def world(api, service):
    artifact_id = upload(api).json()["id"]
    release, _ = release_create(service=service, version="1.0.0", commit_sha="a" * 40, checklist_name="release-v1",
                                actor="test")  # fmt: skip
    people = {"engineer": make_user("bob", "engineers"), "manager": make_user("alice", "release-managers"),
              "auditor": make_user("carol", "auditors"),
              "admin": User.objects.create_superuser("root", "root@example.com", "x")}  # fmt: skip
    grant = AuditorGrant.objects.create(user=people["auditor"], window_from=timezone.localdate() - timedelta(days=1),
                                        window_to=timezone.localdate() + timedelta(days=1),
                                        expires_at=timezone.now() + timedelta(days=1))  # fmt: skip
    grant.services.set([service])
    item = release.items.get(item_id="image-scan")
    waiver = Waiver.objects.create(item=item, requested_by=people["manager"], reason="r",
                                   expires_at=timezone.now() + timedelta(days=1))  # fmt: skip
    token, _ = api_token_create(name="other", services=[service])
    environment_get_or_create(name="staging")
    from checklists.bundles.models import BundleExport
    from metrics.models import GateQuarantine

    bundle = BundleExport.objects.create(kind="release", scope={"kind": "release", "release": release.pk},
                                         requested_by=people["manager"], actor="user:alice")  # fmt: skip
    quarantine = GateQuarantine.objects.create(service=service, gate="lint", owner="bob", reason="r",
                                               expires_at=timezone.now() + timedelta(days=1))  # fmt: skip
    values = {"slug": service.slug, "item_id": "image-scan", "waiver_pk": waiver.pk, "prefix": token.prefix,
              "metric": "deployments", "artifact_id": artifact_id, "release_id": release.pk,
              "bundle_id": bundle.pk, "source": "pagerduty"}  # fmt: skip
    pks = {"artifact": artifact_id, "release": release.pk, "item": release.pk, "waiver": release.pk,
           "bundle": bundle.pk, "quarantine": quarantine.pk}  # fmt: skip
    return {"people": people, "values": values, "pks": pks}


def _url(name: str, route: str, world) -> str:
    path = "/" + route
    for key, value in world["values"].items():
        path = path.replace(f"<slug:{key}>", str(value)).replace(f"<str:{key}>", str(value))
        path = path.replace(f"<int:{key}>", str(value)).replace(f"<{key}>", str(value))
    kind = next((k for k in ("quarantine", "bundle", "waiver", "item", "release", "artifact") if k in name), "")
    return path.replace("<int:pk>", str(world["pks"].get(kind, 0)))


@pytest.mark.django_db
def test_permission_matrix(world):
    routes = _routes()
    failures = []
    for key, statuses in EXPECTED.items():
        method, _, name = key.rpartition(" ")
        url = _url(name, routes[name], world) + QUERY.get(name, "")
        for role, expected in zip(ROLES, statuses, strict=True):
            client = Client()
            if role != "anonymous":
                client.force_login(world["people"][role])
            response = client.post(url, {}) if method == "POST" else client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            if response.status_code != expected:
                failures.append(f"{key} as {role}: {response.status_code} (expected {expected}) {url}")
    assert not failures, "\n".join(failures)
