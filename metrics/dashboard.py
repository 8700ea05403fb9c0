"""What the delivery dashboard reads for one service, environment and window, and the DORA 2024 context.

``dashboard_data`` is the page's whole server-side read: every figure comes from an SQL aggregate in
``metrics.dora`` / ``metrics.selectors``; this module only gathers them (the benchmark times it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from metrics.dora import dora_report, lead_time_breakdown
from metrics.selectors import canary_summary, ci_queue_time, gate_counts
from releases.models import Environment, Service

HISTOGRAM_BINS = 20

# DORA "Accelerate State of DevOps Report 2024", software-delivery performance clusters. The report
# names one value per cluster; the bounds below are the bucket edges Gatehouse draws from them.
BENCHMARK_YEAR = 2024
DORA_2024 = {
    "deployment_frequency": [
        ("elite", "on demand (several per day)"),
        ("high", "between once per day and once per week"),
        ("medium", "between once per week and once per month"),
        ("low", "between once per month and once every six months"),
    ],
    "lead_time": [
        ("elite", "less than one day"),
        ("high", "between one day and one week"),
        ("medium", "between one week and one month"),
        ("low", "between one month and six months"),
    ],
    "change_failure_rate": [("elite", "5%"), ("high", "20%"), ("medium", "10%"), ("low", "40%")],
    "recovery_time": [
        ("elite", "less than one hour"),
        ("high", "less than one day"),
        ("medium", "less than one day"),
        ("low", "between one week and one month"),
    ],
}

DAY = 86400.0


def _bucket_frequency(per_day: float | None) -> str | None:
    if per_day is None:
        return None
    if per_day >= 1:
        return "elite"
    if per_day >= 1 / 7:
        return "high"
    if per_day >= 1 / 30:
        return "medium"
    return "low"


def _bucket_lead_time(p50: float | None) -> str | None:
    if p50 is None:
        return None
    if p50 < DAY:
        return "elite"
    if p50 < 7 * DAY:
        return "high"
    if p50 < 30 * DAY:
        return "medium"
    return "low"


def _bucket_cfr(value: float | None) -> str | None:
    # 2024's clusters are not monotonic in CFR (high 20%, medium 10%): the nearest cluster value at or above wins.
    if value is None:
        return None
    if value <= 0.05:
        return "elite"
    if value <= 0.10:
        return "medium"
    if value <= 0.20:
        return "high"
    return "low"


def _bucket_recovery(p50: float | None) -> str | None:
    if p50 is None:
        return None
    if p50 < 3600:
        return "elite"
    if p50 < DAY:
        return "high"
    return "low"


def dora_buckets(figures: dict[str, Any]) -> dict[str, str | None]:
    """The DORA 2024 cluster each headline figure falls in (None without data): context, not a verdict."""
    return {
        "deployment_frequency": _bucket_frequency(figures["deployment_frequency_per_day"]),
        "lead_time": _bucket_lead_time(figures["lead_time_s"]["p50"]),
        "change_failure_rate": _bucket_cfr(figures["change_failure_rate"]["rate"]),
        "recovery_time": _bucket_recovery(figures["recovery_time_s"]["p50"]),
    }


_HISTOGRAM = """
WITH v AS (
  SELECT lead_time_s AS s FROM metrics_deploymentcommit
  WHERE service_id = %(s)s AND environment_id = %(e)s AND deployed_at >= %(start)s AND deployed_at < %(end)s
    AND lead_time_s IS NOT NULL
), r AS (SELECT min(s) AS lo, max(s) AS hi FROM v)
SELECT b, count(*), min(r.lo), min(r.hi) FROM (
  SELECT LEAST(width_bucket(v.s, r.lo, r.hi + 1e-9, %(bins)s), %(bins)s) AS b FROM v, r
) x, r GROUP BY b ORDER BY b
"""


def lead_time_bins(
    *, service: Service, environment: Environment, start: datetime, end: datetime, bins: int = HISTOGRAM_BINS
) -> list[dict[str, float]]:
    """Per-change lead times of the window counted into ``bins`` equal-width bins: ``[{lo_s, hi_s, n}]``."""
    with connection.cursor() as cursor:
        params = {"s": service.pk, "e": environment.pk, "start": start, "end": end, "bins": bins}
        cursor.execute(_HISTOGRAM, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    lo, hi = float(rows[0][2]), float(rows[0][3])
    width = (hi - lo) / bins or 1.0
    return [{"lo_s": lo + (b - 1) * width, "hi_s": lo + b * width, "n": n} for b, n, _lo, _hi in rows]


def trend_bucket(start: datetime, end: datetime) -> str:
    """Day buckets up to a month, weeks up to half a year, months beyond."""
    days = (end - start).total_seconds() / DAY
    return "day" if days <= 31 else "week" if days <= 190 else "month"


def gate_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``gate_counts`` rows summed per gate over the window, most failures first: the page's short table."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(row["gate"], {"gate": row["gate"], "passed": 0, "failed": 0})
        total["passed"] += row["passed"]
        total["failed"] += row["failed"]
    for total in totals.values():
        total["runs"] = total["passed"] + total["failed"]
        total["failure_rate"] = total["failed"] / total["runs"] if total["runs"] else None
    return sorted(totals.values(), key=lambda total: (-total["failed"], total["gate"]))


def dashboard_data(*, service: Service, environment: Environment, start: datetime, end: datetime) -> dict[str, Any]:
    """Every figure, trend and table of the dashboard for [start, end) (each one SQL aggregate)."""
    window = {"service": service, "environment": environment, "start": start, "end": end}
    bucket = trend_bucket(start, end)
    figures, trend = dora_report(**window, bucket=bucket)
    gates = gate_counts(service=service, start=start, end=end, bucket=bucket)
    return {
        "figures": figures,
        "buckets": dora_buckets(figures),
        "breakdown": lead_time_breakdown(**window),
        "trend": trend,
        "bucket": bucket,
        "histogram": lead_time_bins(**window),
        "gates": gates,
        "gate_totals": gate_totals(gates),
        "queue": ci_queue_time(service=service, start=start, end=end),
        "canary": canary_summary(**window),
    }
