"""schemathesis against the API's own OpenAPI schema: generated requests never get a server error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def auth_header(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, auth_header):
    response = case.call(headers=auth_header)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"
