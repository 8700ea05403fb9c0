"""Reads for the delivery dashboard beyond the DORA figures: CI queue time, gate counts, canaries."""

# The SQL below is assembled only from constant fragments of this module; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection

from metrics.dora import bucket_checked
from metrics.sql import PERCENTILES, PERCENTILES_SQL, distribution, rate
from releases.models import Environment, Service


@dataclass(frozen=True)
class DaySplit:
    """A window [start, end) cut into the whole UTC days the rollups answer and the partial days at its edges.

    [first, last) are the whole days (none when first >= last); ``edges`` are the two timestamp ranges left
    over, read from the raw runs. Together they cover the window exactly once.
    """

    first: date
    last: date
    edges: tuple[tuple[datetime, datetime], tuple[datetime, datetime]]

    @classmethod
    def of(cls, start: datetime, end: datetime) -> DaySplit:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        first = start.date() if start.timetz() == time(tzinfo=UTC) else start.date() + timedelta(days=1)
        last = end.date()
        if first >= last:
            return cls(first, first, ((start, end), (end, end)))
        midnight = datetime.combine(first, time(), UTC), datetime.combine(last, time(), UTC)
        return cls(first, last, ((start, midnight[0]), (midnight[1], end)))

    def params(self, service: Service) -> dict[str, Any]:
        (a0, a1), (b0, b1) = self.edges
        return {"s": service.pk, "first": self.first, "last": self.last, "a0": a0, "a1": a1, "b0": b0, "b1": b1}


_EDGE_RUNS = """SELECT * FROM metrics_gaterun WHERE service_id = %(s)s
    AND ((started_at >= %(a0)s AND started_at < %(a1)s) OR (started_at >= %(b0)s AND started_at < %(b1)s))"""

# Whole days from the (value, runs) rollup, edge days from the runs themselves; then continuous percentiles
# exactly as percentile_cont computes them over the expanded values: the rank h = f * (n - 1) falls between
# the values at positions floor(h) and ceil(h) (0-based), found from the running count, and is interpolated.
_QUEUE_TIME = f"""
WITH counted AS (
  SELECT queue_s, sum(runs)::bigint AS runs FROM (
    SELECT queue_s, runs FROM metrics_queuetimeday WHERE service_id = %(s)s AND day >= %(first)s AND day < %(last)s
    UNION ALL
    SELECT queue_s, 1 FROM ({_EDGE_RUNS}) edge WHERE queue_s IS NOT NULL
  ) x GROUP BY queue_s
), ranked AS (
  SELECT queue_s, (sum(runs) OVER (ORDER BY queue_s))::bigint AS upto, (sum(runs) OVER ())::bigint AS n FROM counted
), ranks AS (
  SELECT f.fraction, f.fraction * (n.n - 1)::float8 AS h, n.n
  FROM unnest(%(fractions)s::float8[]) AS f(fraction), (SELECT max(n) AS n FROM ranked) n WHERE n.n > 0
)
SELECT max(r.n), array_agg(lo.queue_s + (hi.queue_s - lo.queue_s) * (r.h - floor(r.h)) ORDER BY r.fraction)
FROM ranks r
  CROSS JOIN LATERAL (SELECT queue_s FROM ranked WHERE upto > floor(r.h) ORDER BY queue_s LIMIT 1) lo
  CROSS JOIN LATERAL (SELECT queue_s FROM ranked WHERE upto > ceil(r.h) ORDER BY queue_s LIMIT 1) hi
"""


def ci_queue_time(*, service: Service, start: datetime, end: datetime) -> dict[str, Any]:
    """CI queue time (a run's wait for a runner) of gate runs started in [start, end): ``{p50, p75, p90, n}``.

    The same figures as ``percentile_cont`` over the runs, read from the per-day rollup.
    """
    params = {**DaySplit.of(start, end).params(service), "fractions": list(PERCENTILES)}
    with connection.cursor() as cursor:
        cursor.execute(_QUEUE_TIME, params)
        n, values = cursor.fetchone()
    return distribution(values, n or 0)


_GATE_COUNTS = f"""
SELECT date_trunc(%(bucket)s, at) AS bucket, gate, sum(passed)::int, sum(failed)::int FROM (
  SELECT day::timestamp AS at, gate, passed, failed FROM metrics_gaterunday
  WHERE service_id = %(s)s AND day >= %(first)s AND day < %(last)s
  UNION ALL
  SELECT started_at AT TIME ZONE 'UTC', gate, (status = 'pass')::int, (status <> 'pass')::int FROM ({_EDGE_RUNS}) edge
) runs GROUP BY 1, 2 ORDER BY 1, 2
"""


def gate_counts(*, service: Service, start: datetime, end: datetime, bucket: str = "day") -> list[dict[str, Any]]:
    """Gate pass/fail counts per gate and day/week/month (UTC) for runs started in [start, end)."""
    params = {**DaySplit.of(start, end).params(service), "bucket": bucket_checked(bucket)}
    with connection.cursor() as cursor:
        cursor.execute(_GATE_COUNTS, params)
        rows = cursor.fetchall()
    return [
        {"bucket": at.replace(tzinfo=UTC), "gate": gate, "passed": passed, "failed": failed}
        for at, gate, passed, failed in rows
    ]


_CANARIES = f"""
WITH per AS (
  SELECT cs.deployment_id, min(cs.started_at) AS first, max(cs.finished_at) AS last, bool_or(cs.aborted) AS aborted
  FROM metrics_canarystep cs JOIN metrics_deployment d ON d.id = cs.deployment_id
  WHERE d.service_id = %(s)s AND d.environment_id = %(e)s AND d.finished_at >= %(start)s AND d.finished_at < %(end)s
    AND d.status <> 'in_progress'
  GROUP BY cs.deployment_id
)
SELECT count(*), count(*) FILTER (WHERE aborted), count(last),
  percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM last - first))
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
