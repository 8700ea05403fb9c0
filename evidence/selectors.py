"""Reads for artifacts and their evidence."""

from __future__ import annotations

from django.db.models import QuerySet

from access.models import ApiToken
from evidence.models import Artifact, Component, Finding, TestCase
from releases.models import Commit

_SEVERITY_ORDER = ["critical", "high", "medium", "low", "info", "unknown"]


def artifact_visible_to(artifact: Artifact, *, token: ApiToken | None, user, scope: str) -> bool:
    if token is not None:
        return token.allows(scope=scope, service=artifact.service)
    return bool(user and user.is_authenticated)


def artifacts_for_commits(commits: list[Commit]) -> dict[int, list[Artifact]]:
    by_commit: dict[int, list[Artifact]] = {commit.pk: [] for commit in commits}
    for artifact in Artifact.objects.filter(commit__in=commits).select_related("build").order_by("-received_at"):
        by_commit[artifact.commit_id].append(artifact)
    return by_commit


def artifact_top_findings(artifact: Artifact, *, limit: int = 50) -> list[Finding]:
    """The most severe findings first."""
    evidence = getattr(artifact, "evidence", None)
    if evidence is None:
        return []
    findings = list(evidence.findings.all()[:5000])
    findings.sort(key=lambda f: _SEVERITY_ORDER.index(f.severity) if f.severity in _SEVERITY_ORDER else 99)
    return findings[:limit]


def artifact_components(artifact: Artifact, *, limit: int = 200) -> QuerySet[Component]:
    return Component.objects.filter(evidence__artifact=artifact).order_by("name", "version")[:limit]


def artifact_failing_tests(artifact: Artifact, *, limit: int = 100) -> QuerySet[TestCase]:
    return TestCase.objects.filter(evidence__artifact=artifact, status__in=["failed", "error", "flaky"]).order_by(
        "status", "suite", "name"
    )[:limit]
