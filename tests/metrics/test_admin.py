"""The metrics admin pages list events read-only."""

import pytest

from tests.metrics.conftest import at, deploy, incident

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["deployment", "incident", "flagflip", "gaterun", "gatequarantine", "eventdelivery"])
def test_admin_lists_render(admin_client, service, model):
    deployment = deploy(service, "D1", "a1", at(0), commits=[("a1", at(-1))], canary=[(50, at(-0.2), at(0))])
    incident(service, "I1", at(1))
    assert admin_client.get(f"/admin/metrics/{model}/").status_code == 200
    assert admin_client.get(f"/admin/metrics/deployment/{deployment.pk}/change/").status_code == 200
    assert admin_client.get("/admin/metrics/deployment/add/").status_code == 403
