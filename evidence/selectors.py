"""Reads for artifacts and their evidence."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from access.models import ApiToken
from access.scope import audit_scope
from evidence.models import Artifact, Component, Finding, TestCase
from evidence.parsers.base import percent
from releases.models import Commit

_SEVERITY_ORDER = ["critical", "high", "medium", "low", "info", "unknown"]


def artifact_visible_to(artifact: Artifact, *, token: ApiToken | None, user, scope: str) -> bool:
    if token is not None:
        return token.allows(scope=scope, service=artifact.service)
    if not (user and user.is_authenticated):
        return False
    grant = audit_scope(user)
    return grant is None or grant.covers(service_id=artifact.service_id, moment=artifact.received_at)


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


@dataclass
class MergedEvidence:
    """Every parsed summary of one kind for a commit, merged into one (see ``merge_summaries``)."""

    kind: str
    summary: dict
    artifacts: list[Artifact]


# Figures where the worst report decides, not the sum.
_WORST_OF = {"http_req_failed_rate", "http_req_duration_p95_ms"}


def merge_summaries(kind: str, summaries: list[dict]) -> dict:
    """Counts add up (two SAST tools' findings, frontend + backend coverage); percentages are recomputed
    from the summed counts; rates and latencies take the worst report; other values come from the newest
    report (``summaries`` is newest first); lists are concatenated; `verified` holds only if all hold."""
    if len(summaries) == 1:
        return dict(summaries[0])
    merged: dict = {}
    for key in summaries[0]:
        values = [s.get(key) for s in summaries]
        present = [v for v in values if v is not None]
        if key in _WORST_OF:
            merged[key] = max(present) if present else None
        elif key == "verified":
            merged[key] = None if not present else all(present) if len(present) == len(values) else False
        elif present and all(isinstance(v, bool) for v in present):
            merged[key] = all(present)
        elif present and all(isinstance(v, float | int) for v in present) and not key.endswith("_pct"):
            merged[key] = sum(present)
        elif present and all(isinstance(v, dict) for v in present):
            merged[key] = {sub: sum(v.get(sub, 0) or 0 for v in present) for sub in present[0]}
        elif present and all(isinstance(v, list) for v in present):
            merged[key] = [item for v in present for item in v]
        else:
            merged[key] = values[0]
    if kind == "coverage":
        merged["line_pct"] = percent(merged.get("lines_covered"), merged.get("lines_total"))
        merged["branch_pct"] = percent(merged.get("branches_covered"), merged.get("branches_total"))
    return merged


def commit_evidence(commit: Commit, *, received_before=None) -> dict[str, MergedEvidence]:
    """The parsed evidence of a commit by kind, optionally only what arrived before a moment (a frozen release)."""
    artifacts = Artifact.objects.filter(commit=commit, status=Artifact.Status.PARSED).select_related("evidence")
    if received_before is not None:
        artifacts = artifacts.filter(received_at__lt=received_before)
    by_kind: dict[str, list[Artifact]] = {}
    for artifact in artifacts.order_by("-received_at", "-pk"):
        by_kind.setdefault(artifact.kind, []).append(artifact)
    return {
        kind: MergedEvidence(kind, merge_summaries(kind, [a.evidence.summary for a in found]), found)
        for kind, found in by_kind.items()
    }
