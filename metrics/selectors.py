"""Reads for the delivery dashboard beyond the DORA figures: trends, CI queue time, gate counts, canaries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.functions import Trunc
from django.utils import timezone

from metrics.dora import Window, changes_in, deployments_in
from metrics.models import GateRun
from metrics.sql import PERCENTILES, EpochSeconds, PercentileCont, distribution, rate
from releases.models import Environment, Service

BUCKETS = ("day", "week", "month")


def _bucket(kind: str) -> str:
    if kind not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    return kind


def dora_trend(
    *, service: Service, environment: Environment, start: datetime, end: datetime, bucket: str = "week"
) -> list[dict[str, Any]]:
    """Per day/week/month (UTC): deployments, failed, rework, median recovery and median lead time with n."""
    window = Window(service, environment, start, end)
    recovered = Q(is_failed=True, recovered_at__isnull=False)
    deployments = {
        row["bucket"]: row
        for row in deployments_in(window)
        .annotate(bucket=Trunc("finished_at", _bucket(bucket)))
        .values("bucket")
        .annotate(
            deployments=Count("id"),
            failed=Count("id", filter=Q(is_failed=True)),
            rework=Count("id", filter=~Q(rework_rule="")),
            recovery_n=Count("id", filter=recovered),
            recovery=PercentileCont(EpochSeconds(F("recovered_at") - F("finished_at")), [0.5], filter=recovered),
        )
    }
    lead = {
        row["bucket"]: row
        for row in changes_in(window)
        .filter(lead_time_s__isnull=False)
        .annotate(bucket=Trunc("deployment__finished_at", bucket))
        .values("bucket")
        .annotate(n=Count("id"), p50=PercentileCont("lead_time_s", [0.5]))
    }
    rows = []
    for key in sorted(deployments):
        row, lead_row = deployments[key], lead.get(key)
        rows.append(
            {
                "bucket": key,
                "deployments": row["deployments"],
                "failed": row["failed"],
                "change_failure_rate": rate(row["failed"], row["deployments"]),
                "rework": row["rework"],
                "recovery_p50_s": row["recovery"][0] if row["recovery"] else None,
                "recovery_n": row["recovery_n"],
                "lead_time_p50_s": lead_row["p50"][0] if lead_row else None,
                "lead_time_n": lead_row["n"] if lead_row else 0,
            }
        )
    return rows


def ci_queue_time(*, service: Service, start: datetime, end: datetime) -> dict[str, Any]:
    """CI queue time (a run's wait for a runner) of gate runs started in [start, end): ``{p50, p75, p90, n}``."""
    figures = GateRun.objects.filter(
        service=service, started_at__gte=start, started_at__lt=end, queue_s__isnull=False
    ).aggregate(n=Count("id"), values=PercentileCont("queue_s"))
    return distribution(figures["values"], figures["n"])


def gate_counts(*, service: Service, start: datetime, end: datetime, bucket: str = "day") -> list[dict[str, Any]]:
    """Gate pass/fail counts per gate and day/week/month (UTC) for runs started in [start, end)."""
    return list(
        GateRun.objects.filter(service=service, started_at__gte=start, started_at__lt=end)
        .annotate(bucket=Trunc("started_at", _bucket(bucket)))
        .values("bucket", "gate")
        .annotate(
            passed=Count("id", filter=Q(status=GateRun.Status.PASS)),
            failed=Count("id", filter=Q(status=GateRun.Status.FAIL)),
            duration_p50_s=PercentileCont("duration_s", [0.5]),
        )
        .order_by("bucket", "gate")
    )


_GATE_SUMMARY = """
SELECT date_trunc(%(bucket)s, started_at AT TIME ZONE %(tz)s) AS bucket, gate,
  count(*) FILTER (WHERE status = 'pass'), count(*) FILTER (WHERE status = 'fail'),
  percentile_cont(ARRAY[0.5]::float8[]) WITHIN GROUP (ORDER BY duration_s),
  count(*) FILTER (WHERE queue_s IS NOT NULL),
  percentile_cont(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY queue_s),
  GROUPING(date_trunc(%(bucket)s, started_at AT TIME ZONE %(tz)s), gate) AS total
FROM metrics_gaterun
WHERE service_id = %(s)s AND started_at >= %(start)s AND started_at < %(end)s
GROUP BY GROUPING SETS ((1, 2), ())
ORDER BY 8, 1, 2
"""


def gate_summary(
    *, service: Service, start: datetime, end: datetime, bucket: str = "day"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``gate_counts`` and ``ci_queue_time`` for the same runs in one pass over them (the dashboard reads both).

    Same rows and values as the two selectors: the per-gate buckets are one grouping set, the whole window
    (for the queue-time percentiles, over runs that carry a queue time) is the other.
    """
    # The fractions are numbers formatted by us (as in PercentileCont); everything else is a bound parameter.
    sql = _GATE_SUMMARY.replace("%(fractions)s", ", ".join(repr(float(f)) for f in PERCENTILES))
    params = {
        "bucket": _bucket(bucket),
        "tz": timezone.get_current_timezone_name(),
        "s": service.pk,
        "start": start,
        "end": end,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    tzinfo = timezone.get_current_timezone()
    rows, queue = [], distribution(None, 0)
    for at, gate, passed, failed, duration, queue_n, queue_values, grouping in fetched:
        if grouping:
            queue = distribution(queue_values, queue_n)
            continue
        rows.append(
            {
                "bucket": timezone.make_aware(at, tzinfo),
                "gate": gate,
                "passed": passed,
                "failed": failed,
                "duration_p50_s": duration,
            }
        )
    return rows, queue


_CANARIES = """
WITH per AS (
  SELECT cs.deployment_id, min(cs.started_at) AS first, max(cs.finished_at) AS last, bool_or(cs.aborted) AS aborted
  FROM metrics_canarystep cs JOIN metrics_deployment d ON d.id = cs.deployment_id
  WHERE d.service_id = %(s)s AND d.environment_id = %(e)s AND d.finished_at >= %(start)s AND d.finished_at < %(end)s
    AND d.status <> 'in_progress'
  GROUP BY cs.deployment_id
)
SELECT count(*), count(*) FILTER (WHERE aborted), count(last),
  percentile_cont(ARRAY[0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM last - first))
    FILTER (WHERE last IS NOT NULL),
  avg(EXTRACT(EPOCH FROM last - first))::float8
FROM per
"""


def canary_summary(*, service: Service, environment: Environment, start: datetime, end: datetime) -> dict[str, Any]:
    """Canary deployments of the window: how many aborted (numerator/denominator) and how long canaries ran.

    A canary runs from its first step's start to its last step's end; ``mean_duration_s`` is a mean and
    says so, beside the percentiles.
    """
    with connection.cursor() as cursor:
        cursor.execute(_CANARIES, {"s": service.pk, "e": environment.pk, "start": start, "end": end})
        canaries, aborted, timed, values, mean = cursor.fetchone()
    return {
        "canaries": canaries,
        "aborted": {"aborted": aborted, "total": canaries, "rate": rate(aborted, canaries)},
        "duration_s": distribution(values, timed),
        "mean_duration_s": mean,
    }
