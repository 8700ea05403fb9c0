"""DORA metrics for one service and environment over a time window, and the rows behind every figure.

Every figure is one SQL aggregate over stored per-row values (``metrics.derive`` keeps them current):
percentiles are PostgreSQL ``percentile_cont`` (continuous, linear interpolation) over raw values, rates
carry their numerator and denominator, and a figure without data is ``null`` with ``n: 0``.
"""

# The SQL below is assembled only from constant fragments of this module; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value

from metrics.conf import small_sample_n
from metrics.models import Deployment, DeploymentCommit, Incident
from metrics.sql import PERCENTILES_SQL, EpochSeconds, distribution, rate
from releases.models import Environment, Service

DEFAULT_WINDOW = timedelta(days=30)
BUCKETS = ("day", "week", "month")


def bucket_checked(kind: str) -> str:
    if kind not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    return kind


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
    """The changes shipped by the deployments of the window (``deployed_at`` is their deployment's finished_at)."""
    return DeploymentCommit.objects.filter(
        service=window.service,
        environment=window.environment,
        deployed_at__gte=window.start,
        deployed_at__lt=window.end,
    )


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


# Every aggregate below is one pass over the window's rows; asked for a trend, the same pass also groups them
# per day/week/month (UTC) as a second grouping set, so the dashboard's figures and trend share one scan.
# GROUP_BY_BUCKET in the statements below is replaced by one of these.
_BY_BUCKET = "GROUP BY GROUPING SETS ((1), ())"
_WHOLE = "GROUP BY 1"  # the bucket is NULL: one group of every row, or none without rows

_DEPLOYMENTS = f"""
SELECT date_trunc(%(bucket)s, finished_at AT TIME ZONE 'UTC'), count(*), count(*) FILTER (WHERE is_failed),
  count(*) FILTER (WHERE is_failed AND recovered_at IS NULL), count(*) FILTER (WHERE rework_rule <> ''),
  count(*) FILTER (WHERE is_failed AND recovered_at IS NOT NULL),
  percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM recovered_at - finished_at)::float8)
    FILTER (WHERE is_failed AND recovered_at IS NOT NULL)
FROM metrics_deployment
WHERE service_id = %(s)s AND environment_id = %(e)s AND finished_at >= %(start)s AND finished_at < %(end)s
  AND status <> 'in_progress'
GROUP_BY_BUCKET
"""
_DEPLOYMENT_KEYS = ("total", "failed", "unrecovered", "rework", "recovery_n", "recovery")

_CHANGES = f"""
SELECT date_trunc(%(bucket)s, deployed_at AT TIME ZONE 'UTC'), count(*), count(DISTINCT deployment_id),
  count(lead_time_s), percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY lead_time_s)
FROM metrics_deploymentcommit
WHERE service_id = %(s)s AND environment_id = %(e)s AND deployed_at >= %(start)s AND deployed_at < %(end)s
GROUP_BY_BUCKET
"""
_CHANGE_KEYS = ("changes", "linked", "n", "values")

_INCIDENTS = f"""
SELECT count(*), count(*) FILTER (WHERE attribution_rule <> ''), count(resolved_at),
  percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM resolved_at - detected_at)::float8)
    FILTER (WHERE resolved_at IS NOT NULL),
  percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM detected_at - opened_at)::float8),
  (SELECT count(*) FROM metrics_eventdelivery WHERE service_hint = %(slug)s AND status = 'failed'
     AND received_at >= %(start)s AND received_at < %(end)s)
FROM metrics_incident
WHERE service_id = %(s)s AND environment_id = %(e)s AND detected_at >= %(start)s AND detected_at < %(end)s
"""
_INCIDENT_KEYS = ("total", "attributed", "restore_n", "restore", "detect", "unparsed")


def _grouped(sql: str, keys: tuple[str, ...], window: Window, bucket: str | None) -> tuple[dict, dict]:
    """The window's whole-row aggregate and, with a bucket, the same aggregates per bucket (keyed by its start)."""
    params = {"s": window.service.pk, "e": window.environment.pk, "start": window.start, "end": window.end}
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("GROUP_BY_BUCKET", _BY_BUCKET if bucket else _WHOLE), {**params, "bucket": bucket})
        fetched = cursor.fetchall()
    # Without rows every count is 0 (a distribution reads its n first, so its values may be 0 too).
    whole, per_bucket = dict.fromkeys(keys, 0), {}
    for at, *values in fetched:
        if at is None:
            whole = dict(zip(keys, values, strict=True))
        else:
            per_bucket[at.replace(tzinfo=UTC)] = dict(zip(keys, values, strict=True))
    return whole, per_bucket


def _incident_figures(window: Window) -> dict[str, Any]:
    params = {"s": window.service.pk, "e": window.environment.pk, "start": window.start, "end": window.end}
    with connection.cursor() as cursor:
        cursor.execute(_INCIDENTS, {**params, "slug": window.service.slug})
        return dict(zip(_INCIDENT_KEYS, cursor.fetchone(), strict=True))


def _trend(deployments: dict, lead: dict) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(deployments):
        row, lead_row = deployments[key], lead.get(key)
        rows.append(
            {
                "bucket": key,
                "deployments": row["total"],
                "failed": row["failed"],
                "change_failure_rate": rate(row["failed"], row["total"]),
                "rework": row["rework"],
                "recovery_p50_s": row["recovery"][0] if row["recovery"] else None,
                "recovery_n": row["recovery_n"],
                "lead_time_p50_s": lead_row["values"][0] if lead_row and lead_row["n"] else None,
                "lead_time_n": lead_row["n"] if lead_row else 0,
            }
        )
    return rows


def dora_trend(
    *, service: Service, environment: Environment, start: datetime, end: datetime, bucket: str = "week"
) -> list[dict[str, Any]]:
    """Per day/week/month (UTC): deployments, failed, rework, median recovery and median lead time with n."""
    window = Window(service, environment, start, end)
    bucket = bucket_checked(bucket)
    return _trend(_grouped(_DEPLOYMENTS, _DEPLOYMENT_KEYS, window, bucket)[1],
                  _grouped(_CHANGES, _CHANGE_KEYS, window, bucket)[1])  # fmt: skip


def dora_report(
    *, service: Service, environment: Environment, start: datetime, end: datetime, bucket: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``dora_metrics`` for [start, end) and, given a bucket, ``dora_trend`` from the same scans."""
    window = Window(service, environment, start, end)
    bucket = bucket and bucket_checked(bucket)
    deployments, deployment_buckets = _grouped(_DEPLOYMENTS, _DEPLOYMENT_KEYS, window, bucket)
    lead, lead_buckets = _grouped(_CHANGES, _CHANGE_KEYS, window, bucket)
    incidents = _incident_figures(window)
    total = deployments["total"]
    distributions = {
        "lead_time_s": distribution(lead["values"], lead["n"]),
        "recovery_time_s": distribution(deployments["recovery"], deployments["recovery_n"]),
        "time_to_restore_s": distribution(incidents["restore"], incidents["restore_n"]),
    }
    threshold = small_sample_n()
    figures = {
        "service": service.slug,
        "environment": environment.name,
        "from": start,
        "to": end,
        "deployments": total,
        "deployment_frequency_per_day": total / window.days if window.days > 0 else None,
        **distributions,
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
            "unparsed_events": incidents["unparsed"],
        },
        "small_sample": total < threshold or any(0 < figure["n"] < threshold for figure in distributions.values()),
        "small_sample_threshold": threshold,
    }
    return figures, _trend(deployment_buckets, lead_buckets)


def dora_metrics(*, service: Service, environment: Environment, start: datetime, end: datetime) -> dict[str, Any]:
    """The DORA figures of the API contract (``GET /api/v1/metrics/dora``) for [start, end)."""
    return dora_report(service=service, environment=environment, start=start, end=end)[0]


# One pass over the window's counted changes; each PR's first review is read once (a grouped join over the
# PRs of the window), not as a correlated subquery per row and per reference.
_BREAKDOWN = f"""
WITH rows AS (
  SELECT authored_at, pr_id, deployed_at AS finished_at FROM metrics_deploymentcommit
  WHERE service_id = %(s)s AND environment_id = %(e)s AND deployed_at >= %(start)s AND deployed_at < %(end)s
    AND lead_time_s IS NOT NULL
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
  percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM created_at - authored_at)::float8)
    FILTER (WHERE created_at IS NOT NULL AND authored_at IS NOT NULL),
  count(*) FILTER (WHERE first_review IS NOT NULL AND created_at IS NOT NULL),
  percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM first_review - created_at)::float8)
    FILTER (WHERE first_review IS NOT NULL AND created_at IS NOT NULL),
  count(*) FILTER (WHERE merged_at IS NOT NULL AND first_review IS NOT NULL),
  percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM merged_at - first_review)::float8)
    FILTER (WHERE merged_at IS NOT NULL AND first_review IS NOT NULL),
  count(*),
  percentile_cont({PERCENTILES_SQL})
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
    with connection.cursor() as cursor:
        cursor.execute(_BREAKDOWN, {"s": service.pk, "e": environment.pk, "start": start, "end": end})
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
