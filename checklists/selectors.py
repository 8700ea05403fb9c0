"""Reads for releases: the API shape, the list, the page, and the diff against the previous release."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from checklists.models import Release, ReleaseItem
from evidence.models import Artifact, Component, Finding
from evidence.selectors import commit_evidence


def release_as_dict(release: Release) -> dict:
    items = release.items.prefetch_related(Prefetch("evidence", queryset=Artifact.objects.only("sha256")))
    return {
        "id": release.pk,
        "service": release.service.slug,
        "version": release.version,
        "commit": release.commit.sha,
        "checklist": release.checklist_name,
        "status": release.status,
        "url": release.get_absolute_url(),
        "items": [
            {"id": item.item_id, "title": item.title, "state": item.state, "figure": item.figure,
             "evidence": [a.sha256 for a in item.evidence.all()], "manual": item.is_manual, "soc2": item.soc2}
            for item in items
        ],
    }  # fmt: skip


def release_list(*, service_slug: str = "", status: str = "") -> QuerySet[Release]:
    releases = Release.objects.select_related("service", "commit").prefetch_related(
        Prefetch(
            "items",
            queryset=ReleaseItem.objects.exclude(state__in=["pass", "waived"]).exclude(quarantined=True, state="fail"),
            to_attr="blocking",
        )
    )
    if service_slug:
        releases = releases.filter(service__slug=service_slug)
    if status:
        releases = releases.filter(status=status)
    return releases.order_by("-created_at")


def release_previous(release: Release) -> Release | None:
    return (
        Release.objects.filter(service=release.service, created_at__lt=release.created_at)
        .exclude(pk=release.pk).select_related("commit").order_by("-created_at").first()
    )  # fmt: skip


def release_newer_evidence(release: Release) -> list[Artifact]:
    """Artifacts for an approved release's commit that arrived after approval: the next revision."""
    if not release.approved_at:
        return []
    return list(Artifact.objects.filter(commit=release.commit, received_at__gt=release.approved_at))


@dataclass
class ReleaseDiff:
    previous: Release | None
    coverage_delta: float | None = None
    new_vulnerabilities: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, id, package)
    fixed_vulnerabilities: list[tuple[str, str, str]] = field(default_factory=list)
    components_added: list[str] = field(default_factory=list)
    components_removed: list[str] = field(default_factory=list)
    components_changed: list[tuple[str, str, str]] = field(default_factory=list)  # (name, before, after)


_DIFF_LIMIT = 200


def _vulnerabilities(release: Release) -> dict[tuple[str, str], str]:
    rows = Finding.objects.filter(
        evidence__commit=release.commit, evidence__kind="vulnerabilities", category="vulnerability"
    ).values_list("rule_id", "package", "severity")
    return {(rule, package): severity for rule, package, severity in rows}


def _components(release: Release) -> dict[str, str]:
    rows = Component.objects.filter(evidence__commit=release.commit, evidence__kind="sbom").values_list(
        "name", "version"
    )
    return dict(rows)


def release_diff(release: Release) -> ReleaseDiff:
    """What changed since the service's previous release: coverage, vulnerabilities, SBOM components."""
    previous = release_previous(release)
    diff = ReleaseDiff(previous=previous)
    if previous is None:
        return diff
    now_cov = commit_evidence(release.commit).get("coverage")
    then_cov = commit_evidence(previous.commit).get("coverage")
    if (
        now_cov
        and then_cov
        and now_cov.summary.get("line_pct") is not None
        and then_cov.summary.get("line_pct") is not None
    ):
        diff.coverage_delta = round(now_cov.summary["line_pct"] - then_cov.summary["line_pct"], 2)
    now_v, then_v = _vulnerabilities(release), _vulnerabilities(previous)
    diff.new_vulnerabilities = sorted((now_v[k], *k) for k in now_v.keys() - then_v.keys())[:_DIFF_LIMIT]
    diff.fixed_vulnerabilities = sorted((then_v[k], *k) for k in then_v.keys() - now_v.keys())[:_DIFF_LIMIT]
    now_c, then_c = _components(release), _components(previous)
    diff.components_added = sorted(f"{n}@{now_c[n]}" for n in now_c.keys() - then_c.keys())[:_DIFF_LIMIT]
    diff.components_removed = sorted(f"{n}@{then_c[n]}" for n in then_c.keys() - now_c.keys())[:_DIFF_LIMIT]
    diff.components_changed = sorted(
        (n, then_c[n], now_c[n]) for n in now_c.keys() & then_c.keys() if now_c[n] != then_c[n]
    )[:_DIFF_LIMIT]
    return diff
