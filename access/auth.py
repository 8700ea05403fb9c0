"""API authentication: bearer tokens for machines, the session for people using the pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from access.models import ApiToken
from access.services import api_token_authenticate


class TokenAuth(HttpBearer):
    openapi_description = "An API token from `manage.py token_create` (gh1_...)."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(token)
        if found is not None:
            request.api_token = found  # type: ignore[attr-defined]
        return found


class ReadSessionAuth(SessionAuth):
    """A logged-in person may read what the pages show (status, summaries) through the API too."""

    csrf = True


def request_actor(request: HttpRequest) -> str:
    token = getattr(request, "api_token", None)
    if token is not None:
        return token.actor
    return f"user:{request.user.get_username()}"
