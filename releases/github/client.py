"""The one PyGithub client, built from settings on first use (never at import time)."""

from __future__ import annotations

import logging
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from github import Auth, Github, GithubRetry

logger = logging.getLogger(__name__)

# Retry 5xx and secondary rate limits a few times, but never sleep for long: a primary rate limit
# that resets in an hour raises RateLimitExceededExceedsMaxWait so the sync stops and resumes later
# instead of holding a worker for an hour.
RETRY_TOTAL = 3
RETRY_BACKOFF_FACTOR = 2.0
SECONDARY_RATE_WAIT_S = 60.0
MAX_RATE_LIMIT_WAIT_S = 60.0
TIMEOUT_S = 30
PER_PAGE = 100  # GitHub's maximum: fewer requests per listing


def github_configured() -> bool:
    """Whether a token or a GitHub App is configured (anonymous access is only good for tests)."""
    return bool(settings.GITHUB_TOKEN or settings.GITHUB_APP_ID)


def _auth() -> Auth.Auth | None:
    app_id = settings.GITHUB_APP_ID
    if app_id:
        private_key = settings.GITHUB_APP_PRIVATE_KEY
        installation_id = settings.GITHUB_APP_INSTALLATION_ID
        if not private_key or not installation_id:
            raise ImproperlyConfigured(
                "GITHUB_APP_ID is set: GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE) and "
                "GITHUB_APP_INSTALLATION_ID must be set too"
            )
        # The installation token is fetched (and refreshed before it expires) by PyGithub on first use.
        return Auth.AppAuth(app_id, private_key).get_installation_auth(int(installation_id))
    if settings.GITHUB_TOKEN:
        return Auth.Token(settings.GITHUB_TOKEN)
    logger.warning("neither GITHUB_TOKEN nor GITHUB_APP_ID is set: GitHub is called anonymously")
    return None


@cache
def github_client() -> Github:
    """The shared client: token or App installation auth, settings.GITHUB_API_URL (GitHub Enterprise too).

    ``github_client.cache_clear()`` drops it (tests, or after changing settings).
    """
    retry = GithubRetry(
        total=RETRY_TOTAL,
        backoff_factor=RETRY_BACKOFF_FACTOR,
        secondary_rate_wait=SECONDARY_RATE_WAIT_S,
        max_rate_limit_wait=MAX_RATE_LIMIT_WAIT_S,
    )
    return Github(
        auth=_auth(),
        base_url=settings.GITHUB_API_URL.rstrip("/"),
        timeout=TIMEOUT_S,
        per_page=PER_PAGE,
        retry=retry,
        seconds_between_requests=settings.GITHUB_SECONDS_BETWEEN_REQUESTS,
        seconds_between_writes=settings.GITHUB_SECONDS_BETWEEN_WRITES,
        # get_repo()/get_commit() build URL-only objects: no request until an attribute is needed.
        lazy=True,
    )
