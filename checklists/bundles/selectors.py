"""Reads for evidence bundles: what a scope contains (the plan the builder writes), who may export, the list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from access.roles import AUDITORS, RELEASE_MANAGERS
from access.scope import audit_scope
from checklists.bundles.models import BundleExport
from checklists.bundles.population import Population, emergency_changes, population_collect, sample_draw
from checklists.models import Release, ReleaseItem
from evidence.models import Artifact
from releases.models import PullRequest, Service
from releases.selectors import ApprovalEvidence, pull_request_approval, release_changes

MAX_SAMPLE = 1000
EXPORT_ROLES = {RELEASE_MANAGERS, AUDITORS}


class BundleError(Exception):
    """A bundle request refused, with the HTTP status an API answers with."""

    def __init__(self, message: str, status: int = 422):
        self.message = message
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class BundleScope:
    """What a bundle covers: one release, or a period (inclusive dates, UTC) of one or more services."""

    release_id: int | None = None
    services: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    seed: int | None = None
    size: int = 25

    @property
    def kind(self) -> str:
        return BundleExport.Kind.RELEASE if self.release_id else BundleExport.Kind.PERIOD

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: the first moment after the last day."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=UTC)

    def as_dict(self) -> dict[str, Any]:
        if self.release_id:
            return {"kind": "release", "release": self.release_id}
        return {"kind": "period", "services": list(self.services), "from": self.date_from.isoformat(),
                "to": self.date_to.isoformat(), "seed": self.seed, "size": self.size}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BundleScope:
        if data.get("kind") == "release":
            return cls(release_id=int(data["release"]))
        return cls(
            services=tuple(data["services"]),
            date_from=date.fromisoformat(data["from"]),
            date_to=date.fromisoformat(data["to"]),
            seed=data.get("seed"),
            size=int(data.get("size", 25)),
        )

    def describe(self) -> str:
        if self.release_id:
            release = Release.objects.filter(pk=self.release_id).select_related("service").first()
            return f"release {release.service.slug} {release.version}" if release else f"release #{self.release_id}"
        return f"{', '.join(self.services)} from {self.date_from} to {self.date_to}"


def bundle_scope_check(scope: BundleScope) -> None:
    """Refuse (BundleError) a scope that names nothing real or makes no sense."""
    if scope.release_id:
        if not Release.objects.filter(pk=scope.release_id).exists():
            raise BundleError(f"unknown release {scope.release_id}", 404)
        return
    if not scope.services:
        raise BundleError("name at least one service, or a release")
    known = set(Service.objects.filter(slug__in=scope.services).values_list("slug", flat=True))
    unknown = [slug for slug in scope.services if slug not in known]
    if unknown:
        raise BundleError(f"unknown service(s): {', '.join(unknown)}", 404)
    if scope.date_from is None or scope.date_to is None:
        raise BundleError("a period needs both from and to dates")
    if scope.date_from > scope.date_to:
        raise BundleError(f"the period starts ({scope.date_from}) after it ends ({scope.date_to})")
    if not 1 <= scope.size <= MAX_SAMPLE:
        raise BundleError(f"sample size must be 1-{MAX_SAMPLE}")


def bundle_may_export(user) -> bool:
    """Release managers and auditors (and superusers) request and download bundles."""
    if not user or not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name__in=EXPORT_ROLES).exists()


def bundle_list(*, limit: int = 50) -> QuerySet[BundleExport]:
    return BundleExport.objects.select_related("requested_by").order_by("-requested_at")[:limit]


@dataclass
class ReleasePart:
    """One release as the bundle shows it: items with their evidence, sign-offs, waivers, and its PRs."""

    release: Release
    folder: str
    items: list[ReleaseItem]
    changes: list[tuple[PullRequest, ApprovalEvidence]]


@dataclass
class SampledChange:
    position: int  # 0-based row in the population
    row: dict[str, Any]
    folder: str
    artifacts: list[Artifact]
    releases: list[Release]


@dataclass
class BundlePlan:
    """Everything a bundle will hold, gathered before the first byte is written."""

    scope: BundleScope
    services: list[Service]
    releases: list[ReleasePart]
    artifacts: list[Artifact]  # one per (sha256, file name), ordered
    uploads: list[Artifact] = field(default_factory=list)  # every upload those files stand for
    population: Population | None = None
    sample: list[SampledChange] = field(default_factory=list)
    emergency: list[dict[str, Any]] = field(default_factory=list)

    @property
    def artifact_bytes(self) -> int:
        return sum(artifact.size for artifact in self.artifacts)


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_name(text: str, fallback: str = "file") -> str:
    """A single path component: no separators, no leading dots, nothing a file system would reject."""
    cleaned = _UNSAFE.sub("_", text.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")[:150]
    return cleaned or fallback


def artifact_path(artifact: Artifact) -> str:
    """artifacts/<sha256>/<original name>: the bytes exactly as uploaded, under the name they were sent with."""
    fallback = f"{artifact.kind or 'artifact'}.{artifact.format or 'bin'}"
    return f"artifacts/{artifact.sha256}/{safe_name(artifact.original_name, safe_name(fallback))}"


def _release_part(release: Release) -> ReleasePart:
    items = list(release.items.prefetch_related(
        Prefetch("evidence", queryset=Artifact.objects.select_related("service", "commit").order_by("received_at")),
        "signoffs__user", "waivers__requested_by", "waivers__approved_by",
    ))  # fmt: skip
    previous = (
        Release.objects.filter(service=release.service, created_at__lt=release.created_at)
        .exclude(pk=release.pk).select_related("commit").order_by("-created_at").first()
    )  # fmt: skip
    prs = release_changes(service=release.service, from_sha=previous.commit.sha if previous else None,
                          to_sha=release.commit.sha)  # fmt: skip
    folder = f"releases/{safe_name(release.service.slug)}-{safe_name(release.version)}"
    return ReleasePart(release, folder, items, [(pr, pull_request_approval(pr)) for pr in prs])


def _releases(scope: BundleScope) -> QuerySet[Release]:
    releases = Release.objects.select_related("service", "commit", "approved_by")
    if scope.release_id:
        return releases.filter(pk=scope.release_id)
    in_period = Q(created_at__gte=scope.start, created_at__lt=scope.end) | Q(
        approved_at__gte=scope.start, approved_at__lt=scope.end
    )
    return releases.filter(in_period, service__slug__in=scope.services).order_by("service__slug", "created_at")


def _sampled(population: Population, positions: list[int]) -> list[SampledChange]:
    sampled = []
    for number, position in enumerate(positions, 1):
        row = population.rows[position]
        shas = {row["commit"]} - {""}
        pr = population.pull_requests.get(row["change_id"])
        if pr is not None:
            shas |= {pr.head_sha, pr.merge_commit_sha} - {""}
        service = Service.objects.get(slug=row["service"])
        artifacts = list(
            Artifact.objects.filter(service=service, commit__sha__in=shas).select_related("service", "commit")
        )
        releases = list(Release.objects.filter(service=service, commit__sha__in=shas).order_by("created_at"))
        folder = f"period/sample/{number:03d}-{safe_name(row['change_id'].replace(':', '-').replace('#', '-'))}"
        sampled.append(SampledChange(position, row, folder, artifacts, releases))
    return sampled


def _unique_files(artifacts: list[Artifact]) -> list[Artifact]:
    """One artifact per file path: identical bytes under the same name are stored once."""
    seen: dict[str, Artifact] = {}
    for artifact in sorted(artifacts, key=lambda a: (a.received_at, a.pk)):
        seen.setdefault(artifact_path(artifact), artifact)
    return list(seen.values())


def bundle_plan(scope: BundleScope) -> BundlePlan:
    """Gather a scope's releases, artifacts and (for a period) population, sample and emergency changes."""
    releases = list(_releases(scope))
    parts = [_release_part(release) for release in releases]
    if scope.release_id:
        services = [releases[0].service] if releases else []
    else:
        services = list(Service.objects.filter(slug__in=scope.services).order_by("slug"))
    artifacts = list(
        Artifact.objects.filter(commit__in=[r.commit_id for r in releases]).select_related("service", "commit")
    )
    plan = BundlePlan(scope=scope, services=services, releases=parts, artifacts=[])
    if not scope.release_id:
        plan.population = population_collect(services=services, start=scope.start, end=scope.end)
        plan.sample = _sampled(plan.population, sample_draw(plan.population, seed=scope.seed, size=scope.size))
        plan.emergency = emergency_changes(plan.population, releases)
        artifacts += [artifact for change in plan.sample for artifact in change.artifacts]
    artifacts += [a for part in parts for item in part.items for a in item.evidence.all()]
    plan.uploads = list({artifact.pk: artifact for artifact in artifacts}.values())
    plan.artifacts = _unique_files(plan.uploads)
    return plan


def artifact_sources(plan: BundlePlan) -> dict[str, list[dict[str, Any]]]:
    """For each artifact file path: every upload it stands for (the same bytes may arrive more than once)."""
    sources: dict[str, list[dict[str, Any]]] = {}
    for artifact in sorted(plan.uploads, key=lambda a: a.pk):
        sources.setdefault(artifact_path(artifact), []).append({
            "artifact_id": artifact.pk, "service": artifact.service.slug, "commit": artifact.commit.sha,
            "received_at": artifact.received_at.isoformat(), "uploader": artifact.uploader,
            "original_name": artifact.original_name, "kind": artifact.kind, "format": artifact.format,
            "media_type": artifact.media_type, "content_encoding": artifact.content_encoding,
        })  # fmt: skip
    return sources


def bundle_artifact_bytes(scope: BundleScope) -> int:
    """A cheap estimate of the artifact bytes a scope holds, to choose streaming or a job."""
    releases = _releases(scope)
    total = Artifact.objects.filter(commit__in=releases.values("commit_id")).values_list("size", flat=True)
    estimate = sum(total)
    if not scope.release_id:
        estimate += sum(Artifact.objects.filter(service__slug__in=scope.services, received_at__gte=scope.start,
                                                received_at__lt=scope.end).values_list("size", flat=True))  # fmt: skip
    return estimate


def bundle_scope_in_grant(user, scope: BundleScope) -> bool:
    """An auditor may export only inside an active grant: its services, its observation window."""
    grant = audit_scope(user)
    if grant is None:
        return True
    if scope.release_id:
        release = Release.objects.filter(pk=scope.release_id).first()
        return release is not None and grant.covers(service_id=release.service_id, moment=release.created_at)
    service_ids = set(Service.objects.filter(slug__in=scope.services).values_list("pk", flat=True))
    return (
        bool(service_ids)
        and service_ids <= grant.service_ids
        and grant.window_from is not None
        and grant.window_from <= scope.date_from
        and scope.date_to <= grant.window_to
    )
