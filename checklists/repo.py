"""Reading a service's own checklist file from its repository, pinned to the release commit."""

from __future__ import annotations

import logging

from releases.github.client import github_configured
from releases.models import Service

logger = logging.getLogger(__name__)


def checklist_fetch(*, service: Service, name: str, commit_sha: str) -> str | None:
    """``checklists/<name>.md`` at ``commit_sha`` in the service's repository, or None when it has none."""
    if not service.repository or not github_configured():
        return None
    from github import GithubException

    from releases.github.client import github_client

    try:
        content = github_client().get_repo(service.repository).get_contents(f"checklists/{name}.md", ref=commit_sha)
    except GithubException as exc:
        if exc.status != 404:
            logger.warning("could not read checklists/%s.md from %s: %s", name, service.repository, exc)
        return None
    if isinstance(content, list):  # a directory of that name
        return None
    return content.decoded_content.decode("utf-8")
