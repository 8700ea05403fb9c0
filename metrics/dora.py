"""DORA metrics for one service and environment over a time window, and the rows behind every figure.

Every figure is one SQL aggregate over stored per-row values (``metrics.derive`` keeps them current):
percentiles are PostgreSQL ``percentile_cont`` (continuous, linear interpolation) over raw values, rates
carry their numerator and denominator, and a figure without data is ``null`` with ``n: 0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value

from metrics.conf import small_sample_n
from metrics.models import Deployment, DeploymentCommit, EventDelivery, Incident
from metrics.sql import PERCENTILES, EpochSeconds, PercentileCont, distribution, rate
from releases.models import Environment, Service

DEFAULT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Window:
    service: Service
    environment: Environment
    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


def deployments_in(window: Window) -> QuerySet[Deployment]:
    """Finished deployments of the service and environment whose ``finished_at`` falls in [start, end)."""
    return Deployment.objects.filter(
        service=window.service,
        environment=window.environment,
        finished_at__gte=window.start,
        finished_at__lt=window.end,
    ).exclude(status=Deployment.Status.IN_PROGRESS)


def changes_in(window: Window) -> QuerySet[DeploymentCommit]:
    """The changes shipped by the deployments of the window."""
    return DeploymentCommit.objects.filter(
        deployment__service=window.service,
        deployment__environment=window.environment,
        deployment__finished_at__gte=window.start,
        deployment__finished_at__lt=window.end,
    ).exclude(deployment__status=Deployment.Status.IN_PROGRESS)


def incidents_in(window: Window) -> QuerySet[Incident]:
    """Incidents of the service and environment detected in [start, end)."""
    return Incident.objects.filter(
        service=window.service,
        environment=window.environment,
        detected_at__gte=window.start,
        detected_at__lt=window.end,
    )


def _recovery_seconds() -> EpochSeconds:
    return EpochSeconds(F("recovered_at") - F("finished_at"))


def _restore_seconds() -> EpochSeconds:
    return EpochSeconds(F("resolved_at") - F("detected_at"))


def _deployment_figures(window: Window) -> dict[str, Any]:
    recovered = Q(is_failed=True, recovered_at__isnull=False)
    return deployments_in(window).aggregate(
        total=Count("id"),
        failed=Count("id", filter=Q(is_failed=True)),
        unrecovered=Count("id", filter=Q(is_failed=True, recovered_at__isnull=True)),
        rework=Count("id", filter=~Q(rework_rule="")),
        recovery_n=Count("id", filter=recovered),
        recovery=PercentileCont(_recovery_seconds(), filter=recovered),
    )


def _lead_time_figures(window: Window) -> dict[str, Any]:
    return changes_in(window).aggregate(
        changes=Count("id"),
        linked=Count("deployment", distinct=True),
        n=Count("id", filter=Q(lead_time_s__isnull=False)),
        values=PercentileCont("lead_time_s", filter=Q(lead_time_s__isnull=False)),
    )


def _incident_figures(window: Window) -> dict[str, Any]:
    resolved = Q(resolved_at__isnull=False)
    return incidents_in(window).aggregate(
        total=Count("id"),
        attributed=Count("id", filter=~Q(attribution_rule="")),
        restore_n=Count("id", filter=resolved),
        restore=PercentileCont(_restore_seconds(), filter=resolved),
        detect=PercentileCont(EpochSeconds(F("detected_at") - F("opened_at"))),
    )


def dora_metrics(*, service: Service, environment: Environment, start: datetime, end: datetime) -> dict[str, Any]:
    """The DORA figures of the API contract (``GET /api/v1/metrics/dora``) for [start, end)."""
    window = Window(service, environment, start, end)
    deployments = _deployment_figures(window)
    lead = _lead_time_figures(window)
    incidents = _incident_figures(window)
    total = deployments["total"]
    figures = {
        "lead_time_s": distribution(lead["values"], lead["n"]),
        "recovery_time_s": distribution(deployments["recovery"], deployments["recovery_n"]),
        "time_to_restore_s": distribution(incidents["restore"], incidents["restore_n"]),
    }
    threshold = small_sample_n()
    unparsed = EventDelivery.objects.filter(
        service_hint=service.slug,
        status=EventDelivery.Status.FAILED,
        received_at__gte=start,
        received_at__lt=end,
    ).count()
    return {
        "service": service.slug,
        "environment": environment.name,
        "from": start,
        "to": end,
        "deployments": total,
        "deployment_frequency_per_day": total / window.days if window.days > 0 else None,
        **figures,
        "time_to_detect_s": distribution(incidents["detect"], incidents["total"]),
        "change_failure_rate": {
            "failed": deployments["failed"],
            "total": total,
            "rate": rate(deployments["failed"], total),
        },
        "rework_rate": {"rework": deployments["rework"], "total": total, "rate": rate(deployments["rework"], total)},
        "data_coverage": {
            "deployments_linked_to_commits": {
                "linked": lead["linked"],
                "total": total,
                "rate": rate(lead["linked"], total),
            },
            "incidents_attributed": {
                "attributed": incidents["attributed"],
                "total": incidents["total"],
                "rate": rate(incidents["attributed"], incidents["total"]),
            },
            "changes_with_lead_time": {
                "n": lead["n"],
                "total": lead["changes"],
                "rate": rate(lead["n"], lead["changes"]),
            },
            "failed_deployments_unrecovered": deployments["unrecovered"],
            "incidents_unresolved": incidents["total"] - incidents["restore_n"],
            "unparsed_events": unparsed,
        },
        "small_sample": total < threshold or any(0 < figure["n"] < threshold for figure in figures.values()),
        "small_sample_threshold": threshold,
    }


# One pass over the window's counted changes; each PR's first review is read once (a grouped join over the
# PRs of the window), not as a correlated subquery per row and per reference.
_BREAKDOWN = """
WITH rows AS (
  SELECT dc.authored_at, dc.pr_id, d.finished_at
  FROM metrics_deploymentcommit dc JOIN metrics_deployment d ON d.id = dc.deployment_id
  WHERE d.service_id = %(s)s AND d.environment_id = %(e)s AND d.finished_at >= %(start)s AND d.finished_at < %(end)s
    AND d.status <> 'in_progress' AND dc.lead_time_s IS NOT NULL
), reviews AS (
  SELECT pull_request_id, min(submitted_at) AS first_review FROM releases_review
  WHERE submitted_at IS NOT NULL AND pull_request_id IN (SELECT pr_id FROM rows WHERE pr_id IS NOT NULL)
  GROUP BY pull_request_id
), x AS (
  SELECT r.authored_at, r.finished_at, p.created_at, p.merged_at, rv.first_review
  FROM rows r LEFT JOIN releases_pullrequest p ON p.id = r.pr_id LEFT JOIN reviews rv ON rv.pull_request_id = r.pr_id
)
SELECT
  count(*) FILTER (WHERE created_at IS NOT NULL AND authored_at IS NOT NULL),
  percentile_cont(PCT) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM created_at - authored_at)::float8)
    FILTER (WHERE created_at IS NOT NULL AND authored_at IS NOT NULL),
  count(*) FILTER (WHERE first_review IS NOT NULL AND created_at IS NOT NULL),
  percentile_cont(PCT) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM first_review - created_at)::float8)
    FILTER (WHERE first_review IS NOT NULL AND created_at IS NOT NULL),
  count(*) FILTER (WHERE merged_at IS NOT NULL AND first_review IS NOT NULL),
  percentile_cont(PCT) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM merged_at - first_review)::float8)
    FILTER (WHERE merged_at IS NOT NULL AND first_review IS NOT NULL),
  count(*),
  percentile_cont(PCT)
    WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM finished_at - COALESCE(merged_at, authored_at))::float8)
FROM x
"""
_SEGMENTS = ("coding", "pickup", "review", "deploy")


def lead_time_breakdown(*, service: Service, environment: Environment, start: datetime, end: datetime) -> dict:
    """Lead time split into coding, pickup, review and deploy time, each ``{p50, p75, p90, n}``.

    Coding: first commit -> PR opened; pickup: PR opened -> first review; review: first review -> merge;
    deploy: merge (or, without a PR, the commit) -> the first successful deployment. Only changes that
    carry a lead time count; a segment whose timestamps are missing is left out of that segment.
    """
    # The fractions are numbers formatted by us (as in PercentileCont); everything else is a bound parameter.
    sql = _BREAKDOWN.replace("PCT", f"ARRAY[{', '.join(repr(float(f)) for f in PERCENTILES)}]::float8[]")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"s": service.pk, "e": environment.pk, "start": start, "end": end})
        row = cursor.fetchone()
    return {name: distribution(row[2 * i + 1], row[2 * i]) for i, name in enumerate(_SEGMENTS)}


# --- drill-down: the rows behind each figure, with the rule that classified each --------------------------

DRILLDOWN = ("deployments", "lead_time", "change_failure_rate", "recovery_time", "time_to_restore", "rework_rate")


def dora_rows(*, service: Service, environment: Environment, start: datetime, end: datetime, metric: str) -> QuerySet:
    """The rows a figure of ``dora_metrics`` was computed from (a values() QuerySet, newest first)."""
    window = Window(service, environment, start, end)
    if metric == "lead_time":
        return (
            changes_in(window)
            .annotate(
                deployment_external_id=F("deployment__external_id"),
                deployment_status=F("deployment__status"),
                deployed_at=F("deployment__finished_at"),
                pr_number=F("pr__number"),
                counted=Q(lead_time_s__isnull=False),
            )
            .values(
                "sha",
                "pr_number",
                "origin",
                "authored_at",
                "deployment_external_id",
                "deployment_status",
                "deployed_at",
                "lead_time_s",
                "counted",
            )
            .order_by("-deployed_at", "sha")
        )
    if metric == "time_to_restore":
        return (
            incidents_in(window)
            .annotate(
                attributed_to=F("attributed_deployment__external_id"),
                time_to_restore_s=_restore_seconds(),
                counted=Q(resolved_at__isnull=False),
            )
            .values(
                "external_id",
                "severity",
                "title",
                "opened_at",
                "detected_at",
                "resolved_at",
                "time_to_restore_s",
                "attributed_to",
                "attribution_rule",
                "counted",
            )
            .order_by("-detected_at", "-id")
        )
    if metric not in DRILLDOWN:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(DRILLDOWN)}")
    rows = deployments_in(window)
    if metric == "recovery_time":
        rows = rows.filter(is_failed=True)
    counted = {
        "deployments": Value(True),
        "change_failure_rate": Q(is_failed=True),
        "recovery_time": Q(recovered_at__isnull=False),
        "rework_rate": ~Q(rework_rule=""),
    }[metric]
    return (
        rows.annotate(
            commit_sha=F("commit__sha"),
            recovery_s=_recovery_seconds(),
            changes_count=Count("changes", distinct=True),
            incidents=Count("attributed_incidents", distinct=True),
            rolled_back_by_id=Subquery(Deployment.objects.filter(rollback_of=OuterRef("pk")).values("external_id")[:1]),
            counted=counted,
        )
        .values(
            "external_id",
            "commit_sha",
            "build",
            "status",
            "started_at",
            "finished_at",
            "is_baseline",
            "is_failed",
            "failure_rule",
            "incidents",
            "rolled_back_by_id",
            "recovered_at",
            "recovery_rule",
            "recovery_s",
            "rework_rule",
            "changes_count",
            "source",
            "counted",
        )
        .order_by("-finished_at", "-id")
    )


def incident_rows_for(deployment: Deployment) -> QuerySet[Incident]:
    """The incidents attributed to a deployment, with the rule that linked each."""
    return deployment.attributed_incidents.order_by("opened_at").values(
        "external_id", "opened_at", "detected_at", "resolved_at", "severity", "attribution_rule"
    )
