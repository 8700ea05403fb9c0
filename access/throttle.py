"""Login throttling: after LOGIN_MAX_FAILURES failed logins for one username from one address, further
attempts are refused for LOGIN_LOCKOUT_S seconds (counted in the shared cache, so across web processes)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.lower()}\n{address}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


def login_locked(*, username: str, address: str) -> bool:
    return cache.get(_key(username, address), 0) >= settings.LOGIN_MAX_FAILURES


def login_failed(*, username: str, address: str) -> int:
    key = _key(username, address)
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_S)
    return cache.incr(key)


def login_succeeded(*, username: str, address: str) -> None:
    cache.delete(_key(username, address))
