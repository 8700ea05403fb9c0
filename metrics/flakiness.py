"""Gate and test flakiness over a window, and the gates under quarantine (reads only).

Definitions (per gate, or per test identified by classname + name, over runs started in [start, end)):
- flaky: it both passed and failed on the same commit; ``flaky_rate`` = flaky commits / commits run.
  A JUnit ``flaky`` result (failed, then passed on a rerun inside the run) makes its commit flaky too.
- broken: it ran and never passed in the window (always failing), told apart from flaky.
- flip rate: consecutive runs (by start time, across commits) whose verdict differs / (runs - 1).
- pass-on-retry rate: commits whose first run failed and that later passed / commits whose first run failed.
- time lost to reruns: the duration of the failed runs on commits that eventually passed.
State: ``broken`` (never passed), ``flaky`` (a flaky commit), ``failing`` (failures, none flaky), ``healthy``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from metrics.models import GateQuarantine
from metrics.sql import rate
from releases.models import Service

_GATES = """
WITH runs AS (
  SELECT gate, sha, attempt, status, duration_s, started_at, id,
         lag(status) OVER (PARTITION BY gate ORDER BY started_at, id) AS previous
  FROM metrics_gaterun WHERE service_id = %(s)s AND started_at >= %(start)s AND started_at < %(end)s
), per_commit AS (
  SELECT gate, sha, bool_or(status = 'pass') AS passed, bool_or(status = 'fail') AS failed,
         (array_agg(status ORDER BY attempt, started_at, id))[1] = 'fail' AS first_failed,
         sum(duration_s) FILTER (WHERE status = 'fail') AS failed_s
  FROM runs GROUP BY gate, sha
), per_gate AS (
  SELECT gate, count(*) AS runs, count(*) FILTER (WHERE status = 'pass') AS passes,
         count(*) FILTER (WHERE status = 'fail') AS fails,
         count(*) FILTER (WHERE previous IS NOT NULL AND previous <> status) AS flips,
         sum(duration_s) AS duration_s
  FROM runs GROUP BY gate
)
SELECT g.gate, g.runs, g.passes, g.fails, g.flips, g.duration_s,
  count(*) AS commits,
  count(*) FILTER (WHERE c.passed AND c.failed) AS flaky_commits,
  count(*) FILTER (WHERE c.first_failed) AS first_failed_commits,
  count(*) FILTER (WHERE c.first_failed AND c.passed) AS passed_on_retry,
  COALESCE(sum(c.failed_s) FILTER (WHERE c.passed AND c.failed), 0) AS time_lost_s
FROM per_gate g JOIN per_commit c ON c.gate = g.gate
GROUP BY g.gate, g.runs, g.passes, g.fails, g.flips, g.duration_s
ORDER BY flaky_commits DESC, g.fails DESC, g.gate
"""

# JUnit rows of the service's test evidence: passed and flaky count as passing verdicts, failed and
# error as failing; skipped is no verdict. A flaky row is itself a failure passed on retry.
_TESTS = """
WITH cases AS (
  SELECT tc.classname, tc.name, e.commit_id, tc.id, tc.duration_s, e.created_at, tc.status = 'flaky' AS rerun_pass,
         CASE WHEN tc.status IN ('failed', 'error') THEN 'fail' ELSE 'pass' END AS verdict
  FROM evidence_testcase tc JOIN evidence_evidence e ON e.id = tc.evidence_id
  WHERE e.service_id = %(s)s AND e.kind = 'tests' AND e.created_at >= %(start)s AND e.created_at < %(end)s
    AND tc.status IN ('passed', 'failed', 'error', 'flaky')
), runs AS (
  SELECT *, lag(verdict) OVER (PARTITION BY classname, name ORDER BY created_at, id) AS previous FROM cases
), per_commit AS (
  SELECT classname, name, commit_id, bool_or(verdict = 'pass') AS passed,
         bool_or(verdict = 'fail' OR rerun_pass) AS failed,
         (array_agg(verdict ORDER BY created_at, id))[1] = 'fail' OR bool_or(rerun_pass) AS first_failed,
         sum(duration_s) FILTER (WHERE verdict = 'fail') AS failed_s
  FROM runs GROUP BY classname, name, commit_id
), per_test AS (
  SELECT classname, name, count(*) AS runs, count(*) FILTER (WHERE verdict = 'pass') AS passes,
         count(*) FILTER (WHERE verdict = 'fail') AS fails, count(*) FILTER (WHERE rerun_pass) AS flaky_runs,
         count(*) FILTER (WHERE previous IS NOT NULL AND previous <> verdict) AS flips, sum(duration_s) AS duration_s
  FROM runs GROUP BY classname, name HAVING count(*) FILTER (WHERE verdict = 'fail' OR rerun_pass) > 0
)
SELECT t.classname, t.name, t.runs, t.passes, t.fails, t.flaky_runs, t.flips, t.duration_s,
  count(*) AS commits,
  count(*) FILTER (WHERE c.passed AND c.failed) AS flaky_commits,
  count(*) FILTER (WHERE c.first_failed) AS first_failed_commits,
  count(*) FILTER (WHERE c.first_failed AND c.passed) AS passed_on_retry,
  COALESCE(sum(c.failed_s) FILTER (WHERE c.passed AND c.failed), 0) AS time_lost_s
FROM per_test t JOIN per_commit c ON c.classname = t.classname AND c.name = t.name
GROUP BY t.classname, t.name, t.runs, t.passes, t.fails, t.flaky_runs, t.flips, t.duration_s
ORDER BY flaky_commits DESC, t.fails DESC, t.classname, t.name
LIMIT %(limit)s
"""


def _rows(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _classify(row: dict[str, Any]) -> dict[str, Any]:
    if row["passes"] == 0:
        state = "broken"
    elif row["flaky_commits"]:
        state = "flaky"
    elif row["fails"] or row.get("flaky_runs"):
        state = "failing"
    else:
        state = "healthy"
    return row | {
        "state": state,
        "flaky_rate": rate(row["flaky_commits"], row["commits"]),
        "flip_rate": rate(row["flips"], row["runs"] - 1),
        "pass_on_retry_rate": rate(row["passed_on_retry"], row["first_failed_commits"]),
        "time_lost_s": float(row["time_lost_s"]),
        "duration_s": float(row["duration_s"] or 0),
    }


def gate_flakiness(*, service: Service, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every gate that ran in [start, end) with its counts, rates, state and whether it is quarantined."""
    rows = _rows(_GATES, {"s": service.pk, "start": start, "end": end})
    quarantined = quarantined_gates(service)
    return [_classify(row) | {"quarantined": row["gate"] in quarantined} for row in rows]


def junit_test_flakiness(*, service: Service, start: datetime, end: datetime, limit: int = 200) -> list[dict[str, Any]]:
    """Tests (JUnit evidence in [start, end)) that failed at least once, flakiest first, with the same figures."""
    return [_classify(row) for row in _rows(_TESTS, {"s": service.pk, "start": start, "end": end, "limit": limit})]


def gate_runs_for(*, service: Service, gate: str, start: datetime, end: datetime) -> QuerySet:
    """The runs behind a gate's figures, oldest first (the drill-down of the flaky board)."""
    return (
        service.gate_runs.filter(gate=gate, started_at__gte=start, started_at__lt=end)
        .order_by("started_at", "id")
        .values("sha", "attempt", "status", "duration_s", "queue_s", "started_at", "run_id", "external_id")
    )


def _active(now: datetime) -> Q:
    return Q(lifted_at__isnull=True, expires_at__gt=now)


def quarantined_gates(service: Service, *, at: datetime | None = None) -> set[str]:
    """Names of the service's gates under an active quarantine (not lifted, not expired) at ``at`` (now)."""
    now = at or timezone.now()
    return set(service.gate_quarantines.filter(_active(now)).values_list("gate", flat=True))


def quarantine_list(service: Service, *, at: datetime | None = None) -> list[dict[str, Any]]:
    """Every quarantine of the service with its state: active, expired (came back) or lifted."""
    now = at or timezone.now()
    rows = []
    for quarantine in GateQuarantine.objects.filter(service=service).order_by("-created_at"):
        if quarantine.lifted_at is not None:
            state = "lifted"
        elif quarantine.expires_at <= now:
            state = "expired"
        else:
            state = "active"
        rows.append(
            {
                "id": quarantine.pk,
                "gate": quarantine.gate,
                "owner": quarantine.owner,
                "reason": quarantine.reason,
                "expires_at": quarantine.expires_at,
                "state": state,
                "created_by": quarantine.created_by,
                "created_at": quarantine.created_at,
                "lifted_at": quarantine.lifted_at,
                "lifted_by": quarantine.lifted_by,
            }
        )
    return rows
