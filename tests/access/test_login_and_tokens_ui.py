import pytest
from django.test import Client

from access.models import ApiToken
from access.services import api_token_authenticate
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_login_is_throttled_after_repeated_failures(engineer, settings):
    settings.LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(3):
        assert client.post("/login/", {"username": "bob", "password": "wrong"}).status_code == 200
    locked = client.post("/login/", {"username": "bob", "password": PASSWORD})
    assert locked.status_code == 429 and b"Too many failed logins" in locked.content
    other = Client(REMOTE_ADDR="10.9.9.9")  # another address is not locked out by these failures
    assert other.post("/login/", {"username": "bob", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_a_success_resets_the_count(engineer, settings):
    settings.LOGIN_MAX_FAILURES = 2
    client = Client()
    client.post("/login/", {"username": "bob", "password": "wrong"})
    assert client.post("/login/", {"username": "bob", "password": PASSWORD}).status_code == 302
    client.logout()
    client.post("/login/", {"username": "bob", "password": "wrong"})
    assert client.post("/login/", {"username": "bob", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_release_managers_create_and_revoke_tokens_in_the_ui(service, release_manager, engineer):
    client = Client()
    client.force_login(engineer)
    assert client.get("/tokens/").status_code == 403
    client.force_login(release_manager)
    page = client.post("/tokens/", {"name": "payments GHA", "services": ["payments"], "scopes": ["ingest"]})
    assert page.status_code == 200
    html = page.content.decode()
    plaintext = html.split("<code>")[1].split("</code>")[0]
    token = api_token_authenticate(plaintext)
    assert token.name == "payments GHA" and token.scopes == ["ingest"] and token.created_by == release_manager
    assert plaintext not in client.get("/tokens/").content.decode()  # shown once
    response = client.post(f"/tokens/{token.prefix}/revoke")
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert api_token_authenticate(plaintext) is None
    assert "revoked" in client.get("/tokens/").content.decode()


@pytest.mark.django_db
def test_token_form_rejects_missing_services(service, release_manager):
    client = Client()
    client.force_login(release_manager)
    response = client.post("/tokens/", {"name": "x", "scopes": ["ingest"]})
    assert response.status_code == 200 and ApiToken.objects.count() == 0
