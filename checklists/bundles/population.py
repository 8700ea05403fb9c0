"""The population of changes in an audit period, its reproducible sample, and its emergency changes.

Auditors test a control by sampling from the complete list of changes, so the list ships with the exact
queries that produced it, its row count and its hash. Deployments come from ``metrics.Deployment`` when
that model exists; it is looked up lazily so a Gatehouse without it still exports the pull requests
(and says so in the manifest).
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Q, QuerySet

from checklists.models import Release, ReleaseItem
from releases.models import PullRequest, Service
from releases.selectors import ApprovalEvidence, pull_request_approval

COLUMNS = ["change_id", "type", "service", "reference", "title", "author", "at", "environment", "status", "commit",
           "approved", "approved_by", "checks_green"]  # fmt: skip
PRODUCTION_NAMES = ["production", "prod"]


@dataclass
class Query:
    what: str
    orm: str
    sql: str
    rows: int = 0
    unavailable: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = {"what": self.what, "orm": self.orm, "sql": self.sql, "row_count": self.rows}
        if self.unavailable:
            data["unavailable"] = self.unavailable
        return data


@dataclass
class Population:
    rows: list[dict[str, Any]]
    queries: list[Query]
    pull_requests: dict[str, PullRequest] = field(default_factory=dict)  # change_id -> PR
    deployments: dict[str, Any] = field(default_factory=dict)  # change_id -> Deployment
    approvals: dict[str, ApprovalEvidence] = field(default_factory=dict)  # change_id -> PR approval

    @property
    def deployments_included(self) -> bool:
        return not any(query.unavailable for query in self.queries)

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return out.getvalue().encode()

    def as_json(self, *, period: dict[str, Any], generated_at: str) -> dict[str, Any]:
        return {
            "period": period,
            "generated_at": generated_at,
            "columns": COLUMNS,
            "row_count": len(self.rows),
            "csv_file": "period/population.csv",
            "csv_sha256": hashlib.sha256(self.csv_bytes()).hexdigest(),
            "queries": [query.as_dict() for query in self.queries],
            "deployments_included": self.deployments_included,
            "rows": self.rows,
        }


def _sql_text(queryset: QuerySet) -> str:
    sql, params = queryset.query.sql_with_params()
    try:
        return connection.ops.compose_sql(sql, params)
    except Exception:  # a backend without client-side composition: the SQL with its parameters beside it
        return f"{sql} -- params: {params!r}"


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _pull_requests(services: list[Service], start: datetime, end: datetime, population: Population) -> None:
    slugs = [service.slug for service in services]
    queryset = (
        PullRequest.objects.filter(service__slug__in=slugs, merged_at__gte=start, merged_at__lt=end)
        .select_related("service").order_by("service__slug", "merged_at", "number")
    )  # fmt: skip
    orm = (f"PullRequest.objects.filter(service__slug__in={slugs!r}, merged_at__gte={start.isoformat()!r}, "
           f"merged_at__lt={end.isoformat()!r}).order_by('service__slug', 'merged_at', 'number')")  # fmt: skip
    query = Query("every pull request merged in the period", orm, _sql_text(queryset))
    for pr in queryset.iterator(chunk_size=500):
        change_id = f"pr:{pr.service.slug}#{pr.number}"
        approval = pull_request_approval(pr)
        population.pull_requests[change_id] = pr
        population.approvals[change_id] = approval
        population.rows.append({
            "change_id": change_id, "type": "pull_request", "service": pr.service.slug, "reference": pr.number,
            "title": pr.title, "author": pr.author, "at": _iso(pr.merged_at), "environment": "", "status": "merged",
            "commit": pr.merge_commit_sha or pr.head_sha, "approved": approval.approved,
            "approved_by": ";".join(approval.approved_on_head or approval.approved_by),
            "checks_green": approval.checks_green,
        })  # fmt: skip
        query.rows += 1
    population.queries.append(query)


def deployment_model():
    """``metrics.Deployment`` when this Gatehouse has it, else None."""
    try:
        return apps.get_model("metrics", "Deployment")
    except LookupError:
        return None


def _production_filter(model) -> tuple[Q, str]:
    """Production is an environment flagged is_production, or simply named production/prod."""
    environment = model._meta.get_field("environment")
    if not environment.is_relation:
        return Q(environment__in=PRODUCTION_NAMES), f"Q(environment__in={PRODUCTION_NAMES!r})"
    by_name = Q(environment__name__in=PRODUCTION_NAMES)
    if any(f.name == "is_production" for f in environment.related_model._meta.get_fields()):
        text = f"Q(environment__is_production=True) | Q(environment__name__in={PRODUCTION_NAMES!r})"
        return Q(environment__is_production=True) | by_name, text
    return by_name, f"Q(environment__name__in={PRODUCTION_NAMES!r})"


def _text(value: Any, *attributes: str) -> str:
    for attribute in attributes:
        if value is not None and hasattr(value, attribute):
            return str(getattr(value, attribute))
    return "" if value is None else str(value)


def _approved_release_before(service: Service, sha: str, moment: datetime | None) -> Release | None:
    releases = Release.objects.filter(service=service, commit__sha=sha, approved_at__isnull=False)
    if moment is not None:
        releases = releases.filter(approved_at__lte=moment)
    return releases.select_related("approved_by").order_by("approved_at").first()


def _deployments(services: list[Service], start: datetime, end: datetime, population: Population) -> None:
    what = "every production deployment finished in the period"
    model = deployment_model()
    if model is None:
        population.queries.append(Query(what, "", "", unavailable="metrics.Deployment does not exist in this "
                                        "Gatehouse version: the population holds pull requests only"))  # fmt: skip
        return
    try:
        production, production_text = _production_filter(model)
        related = [name for name in ("service", "environment", "commit") if model._meta.get_field(name).is_relation]
    except FieldDoesNotExist as exc:
        population.queries.append(Query(what, "", "", unavailable=f"metrics.Deployment has no usable shape: {exc}"))
        return
    queryset = (
        model.objects.filter(production, service__in=services, finished_at__gte=start, finished_at__lt=end)
        .select_related(*related).order_by("service__slug", "finished_at", "pk")
    )  # fmt: skip
    slugs = [service.slug for service in services]
    orm = (
        f"Deployment.objects.filter({production_text}, service__slug__in={slugs!r}, "
        f"finished_at__gte={start.isoformat()!r}, finished_at__lt={end.isoformat()!r})"
        ".order_by('service__slug', 'finished_at', 'pk')"
    )
    query = Query(what, orm, _sql_text(queryset))
    for deployment in queryset.iterator(chunk_size=500):
        service = deployment.service
        sha = _text(getattr(deployment, "commit", None), "sha")
        release = _approved_release_before(service, sha, deployment.finished_at)
        change_id = f"deploy:{service.slug}:{deployment.pk}"
        population.deployments[change_id] = deployment
        population.rows.append({
            "change_id": change_id, "type": "deployment", "service": service.slug, "reference": deployment.pk,
            "title": f"release {release.version}" if release else "", "author": "",
            "at": _iso(deployment.finished_at), "environment": _text(deployment.environment, "name"),
            "status": _text(getattr(deployment, "status", "")), "commit": sha, "approved": release is not None,
            "approved_by": release.approved_by.get_username() if release else "", "checks_green": "",
        })  # fmt: skip
        query.rows += 1
    population.queries.append(query)


def population_collect(*, services: list[Service], start: datetime, end: datetime) -> Population:
    """Every PR merged and every production deployment in [start, end), rows in a stable order."""
    population = Population(rows=[], queries=[])
    _pull_requests(services, start, end, population)
    _deployments(services, start, end, population)
    return population


SAMPLE_METHOD = (
    "random.Random(seed).sample(range(row_count), min(size, row_count)), sorted: row positions (0-based) in "
    "period/population.csv order; Python's Mersenne Twister, reproducible anywhere"
)


def sample_draw(population: Population, *, seed: int, size: int) -> list[int]:
    """Row positions of the sample: reproducible from the seed alone (verify.py redraws it)."""
    count = len(population.rows)
    return sorted(random.Random(seed).sample(range(count), min(size, count)))


def _username(user) -> str:
    return user.get_username() if user else ""


def _waived_items(releases: list[Release]) -> list[dict[str, Any]]:
    found = []
    items = ReleaseItem.objects.filter(release__in=releases, waivers__approved_at__isnull=False).distinct()
    for item in items.select_related("release__service").prefetch_related("waivers__requested_by",
                                                                          "waivers__approved_by"):  # fmt: skip
        for waiver in item.waivers.all():
            if waiver.approved_at is None:
                continue
            release = item.release
            found.append({
                "change_id": f"release:{release.service.slug}@{release.version}", "service": release.service.slug,
                "reason": f"waived: {item.item_id} ({waiver.reason})", "at": _iso(waiver.approved_at),
                "post_deploy_review": {"waiver_requested_by": waiver.requested_by.get_username(),
                                       "waiver_approved_by": waiver.approved_by.get_username(),
                                       "expires_at": _iso(waiver.expires_at),
                                       "release_approved_by": _username(release.approved_by),
                                       "release_approved_at": _iso(release.approved_at)},
            })  # fmt: skip
    return found


def _late_reviews(pr: PullRequest, after: datetime | None) -> list[dict[str, str]]:
    reviews = pr.reviews.filter(state="APPROVED")
    if after is not None:
        reviews = reviews.filter(submitted_at__gt=after)
    return [{"reviewer": r.reviewer, "submitted_at": _iso(r.submitted_at), "commit": r.commit_id} for r in reviews]


def emergency_changes(population: Population, releases: list[Release]) -> list[dict[str, Any]]:
    """Changes that skipped the normal path: deployed before an approved release, merged unapproved, or waived."""
    found = []
    for row in population.rows:
        change_id = row["change_id"]
        if row["type"] == "deployment" and not row["approved"]:
            deployment = population.deployments[change_id]
            later = Release.objects.filter(service=deployment.service, commit__sha=row["commit"],
                                           approved_at__isnull=False).select_related("approved_by").first()  # fmt: skip
            review = {"release": later.version, "approved_by": later.approved_by.get_username(),
                      "approved_at": _iso(later.approved_at)} if later else None  # fmt: skip
            found.append({"change_id": change_id, "service": row["service"], "at": row["at"],
                          "reason": "deployed to production before any release of its commit was approved",
                          "post_deploy_review": review})  # fmt: skip
        elif row["type"] == "pull_request" and not row["approved"]:
            pr = population.pull_requests[change_id]
            found.append({"change_id": change_id, "service": row["service"], "at": row["at"],
                          "reason": "merged without an approval on the merged head: "
                          + "; ".join(population.approvals[change_id].reasons),
                          "post_deploy_review": _late_reviews(pr, pr.merged_at) or None})  # fmt: skip
    return found + _waived_items(releases)
