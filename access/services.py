"""Writes for API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from access.models import ALL_SCOPES, ApiToken
from ledger.services import ledger_append
from releases.models import Service

TOKEN_PREFIX = "gh1_"  # noqa: S105 - a public marker, not a secret
# last_used_at is for people deciding what to revoke; minute precision saves a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash_secret(secret: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, name: str, services: list[Service], scopes: list[str] | None = None, created_by=None, actor: str = "system"
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the plaintext, which is never stored or shown again."""
    scopes = list(scopes or ALL_SCOPES)
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; choose from {', '.join(ALL_SCOPES)}")
    if not services:
        raise ValueError("a token needs at least one service")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name, prefix=prefix, secret_hash=_hash_secret(secret), scopes=scopes, created_by=created_by
    )
    token.services.set(services)
    ledger_append(
        actor=actor,
        action="token.created",
        subject_type="api_token",
        subject_id=prefix,
        data={"name": name, "scopes": scopes, "services": sorted(s.slug for s in services)},
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: str) -> ApiToken:
    """Revoke a token; it stops working on its next request."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        ledger_append(actor=actor, action="token.revoked", subject_type="api_token", subject_id=token.prefix)
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token matching ``raw``, with its last-used time refreshed; None otherwise."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    token = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not secrets.compare_digest(token.secret_hash, _hash_secret(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
