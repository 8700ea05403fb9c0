import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from access.models import ApiToken
from access.services import api_token_authenticate, api_token_create


@pytest.mark.django_db
def test_token_create_prints_the_token_alone_on_the_last_line(service, capsys):
    call_command("token_create", service=["payments"], name="gha")
    lines = capsys.readouterr().out.strip().splitlines()
    plaintext = lines[-1]
    assert plaintext.startswith("gh1_") and " " not in plaintext
    token = api_token_authenticate(plaintext)
    assert token is not None and token.scopes == ["ingest", "releases", "events"]
    assert token.last_used_at is not None
    assert plaintext.split("_")[-1] not in token.secret_hash  # only a hash is stored


@pytest.mark.django_db
def test_token_scopes_and_unknown_service(service, capsys):
    call_command("token_create", service=["payments"], scope=["ingest"])
    token = api_token_authenticate(capsys.readouterr().out.strip().splitlines()[-1])
    assert token.scopes == ["ingest"]
    with pytest.raises(CommandError, match="unknown service"):
        call_command("token_create", service=["nope"])


@pytest.mark.django_db
def test_token_revoke_command(service, capsys):
    token, plaintext = api_token_create(name="x", services=[service])
    call_command("token_revoke", token.prefix)
    assert api_token_authenticate(plaintext) is None
    with pytest.raises(CommandError):
        call_command("token_revoke", "deadbeef")


@pytest.mark.django_db
def test_bad_scope_and_no_service(service):
    with pytest.raises(ValueError, match="unknown scope"):
        api_token_create(name="x", services=[service], scopes=["root"])
    with pytest.raises(ValueError, match="at least one service"):
        api_token_create(name="x", services=[])
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_wrong_secret_is_refused(service):
    _token, plaintext = api_token_create(name="x", services=[service])
    assert api_token_authenticate(plaintext[:-2] + "zz") is None
    assert api_token_authenticate("Bearer nonsense") is None
