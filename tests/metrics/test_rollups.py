"""The dashboard's derived copies agree with the rows they are derived from, whatever wrote those rows.

Gate runs are counted per UTC day by triggers; the selectors read whole days from those counts and the
partial days at a window's edges from the runs. Every figure must equal the plain aggregate over the runs.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from metrics.dora import Window, changes_in
from metrics.models import DeploymentCommit, GateRun, GateRunDay, QueueTimeDay
from metrics.selectors import DaySplit, ci_queue_time, gate_counts
from metrics.services import gate_run_record
from metrics.sql import distribution
from releases.models import Environment
from tests.metrics.conftest import at, deploy, sha

pytestmark = pytest.mark.django_db


def record(service, ext: str, gate: str, status: str, started: datetime, queue: float | None = None) -> None:
    gate_run_record(
        service=service, external_id=ext, gate=gate, sha=sha("c1"), status=status, started_at=started,
        queue_s=queue, actor="test",
    )  # fmt: skip


def raw_days(service) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (started_at AT TIME ZONE 'UTC')::date, gate, count(*) FILTER (WHERE status = 'pass'), "
            "count(*) FILTER (WHERE status = 'fail') FROM metrics_gaterun WHERE service_id = %s GROUP BY 1, 2",
            [service.pk],
        )
        return {(day, gate): (passed, failed) for day, gate, passed, failed in cursor.fetchall()}


def rollup_days(service) -> dict:
    return {(r.day, r.gate): (r.passed, r.failed) for r in GateRunDay.objects.filter(service=service)}


def raw_queue(service, start: datetime, end: datetime) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), percentile_cont(ARRAY[0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY queue_s) "
            "FROM metrics_gaterun WHERE service_id = %s AND started_at >= %s AND started_at < %s "
            "AND queue_s IS NOT NULL",
            [service.pk, start, end],
        )
        n, values = cursor.fetchone()
    return distribution(values, n)


def raw_counts(service, start: datetime, end: datetime, bucket: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_trunc(%s, started_at AT TIME ZONE 'UTC'), gate, count(*) FILTER (WHERE status = 'pass'), "
            "count(*) FILTER (WHERE status = 'fail') FROM metrics_gaterun WHERE service_id = %s "
            "AND started_at >= %s AND started_at < %s GROUP BY 1, 2 ORDER BY 1, 2",
            [bucket, service.pk, start, end],
        )
        return [(at.replace(tzinfo=UTC), gate, passed, failed) for at, gate, passed, failed in cursor.fetchall()]


def test_triggers_count_inserts_updates_and_deletes(service):
    record(service, "r1", "unit", "pass", at(1), queue=10)
    record(service, "r2", "unit", "fail", at(2), queue=10)
    record(service, "r3", "lint", "pass", at(days=1, hours=3), queue=4)
    day0, day1 = at(0).date(), at(days=1).date()
    assert rollup_days(service) == {(day0, "unit"): (1, 1), (day1, "lint"): (1, 0)}
    assert {(q.day, q.queue_s): q.runs for q in QueueTimeDay.objects.filter(service=service)} == {
        (day0, 10.0): 2,
        (day1, 4.0): 1,
    }
    # Re-posting a run with a new status moves it between the counts (the upsert is an UPDATE).
    record(service, "r2", "unit", "pass", at(2), queue=10)
    assert rollup_days(service)[(day0, "unit")] == (2, 0)
    # A run moved to another day and gate leaves nothing behind on the old key.
    GateRun.objects.filter(external_id="r3").update(started_at=at(5), gate="unit", queue_s=None)
    assert rollup_days(service) == {(day0, "unit"): (3, 0)}
    assert {(q.day, q.queue_s): q.runs for q in QueueTimeDay.objects.filter(service=service)} == {(day0, 10.0): 2}
    GateRun.objects.filter(external_id__in=["r1", "r2"]).delete()
    assert rollup_days(service) == {(day0, "unit"): (1, 0)}
    assert not QueueTimeDay.objects.exists()
    GateRun.objects.all().delete()
    assert not GateRunDay.objects.exists()


def test_bulk_sql_writes_are_counted_too(service):
    # A bulk load in plain SQL (as the benchmark seed does) fires the statement trigger once for all rows.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO metrics_gaterun (service_id, gate, run_id, sha, attempt, status, duration_s, started_at, "
            "queue_s, external_id, source, created_at) SELECT %s, 'g' || (n %% 3), '', %s, 1, "
            "CASE WHEN n %% 4 = 0 THEN 'fail' ELSE 'pass' END, 1, %s + n * interval '37 minutes', n %% 5, "
            "'bulk-' || n, 'api', now() FROM generate_series(1, 500) n",
            [service.pk, sha("c1"), at(0)],
        )
        cursor.execute("UPDATE metrics_gaterun SET status = 'fail' WHERE external_id LIKE 'bulk-1%%'")
        cursor.execute("DELETE FROM metrics_gaterun WHERE external_id LIKE 'bulk-2%%'")
    assert rollup_days(service) == raw_days(service)
    assert sum(q.runs for q in QueueTimeDay.objects.all()) == GateRun.objects.filter(queue_s__isnull=False).count()


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        (at(0), at(days=3), at(0).date(), at(days=3).date()),  # midnight to midnight: all whole days
        (at(5), at(days=3, hours=2), at(days=1).date(), at(days=3).date()),
        (at(5), at(9), None, None),  # within one day: no whole day, the window is one edge
        (at(5), at(days=1, hours=1), None, None),  # across one midnight without a whole day
    ],
)
def test_day_split_covers_the_window_once(start, end, first, last):
    split = DaySplit.of(start, end)
    (a0, a1), (b0, b1) = split.edges
    if first is None:
        assert split.first >= split.last and (a0, a1) == (start, end) and b0 == b1
    else:
        assert (split.first, split.last) == (first, last)
        assert (a0, a1, b1) == (start, datetime.combine(first, datetime.min.time(), UTC), end)
        assert b0 == datetime.combine(last, datetime.min.time(), UTC)


def test_figures_equal_the_plain_aggregates_over_the_runs(service):
    rng = random.Random(7)
    for number in range(400):
        started = at(minutes=rng.randrange(0, 9 * 24 * 60))
        queue = rng.choice([None, rng.randrange(0, 40), round(rng.uniform(0, 90), 3)])
        record(service, f"q{number}", rng.choice(["unit", "e2e", "lint"]), rng.choice(["pass", "fail"]), started, queue)
    windows = [
        (at(0), at(days=9)),
        (at(hours=7.5), at(days=6, hours=3)),
        (at(13), at(14)),
        (at(23), at(days=1, hours=2)),
    ]
    windows += [(at(minutes=rng.randrange(0, 5000)), at(minutes=rng.randrange(5000, 13000))) for _ in range(6)]
    for start, end in windows:
        assert ci_queue_time(service=service, start=start, end=end) == raw_queue(service, start, end)
        for bucket in ("day", "week", "month"):
            rows = gate_counts(service=service, start=start, end=end, bucket=bucket)
            assert [(r["bucket"], r["gate"], r["passed"], r["failed"]) for r in rows] == raw_counts(
                service, start, end, bucket
            )


def test_queue_time_of_an_empty_window_and_of_one_run(service):
    assert ci_queue_time(service=service, start=at(0), end=at(days=2)) == distribution(None, 0)
    record(service, "one", "unit", "pass", at(26), queue=7)
    record(service, "none", "unit", "pass", at(27))
    assert ci_queue_time(service=service, start=at(0), end=at(days=2)) == {"p50": 7.0, "p75": 7.0, "p90": 7.0, "n": 1}


def test_changes_carry_their_deployment_window(service):
    deploy(service, "D1", "a1", at(0), commits=[("a1", at(-5))])
    second = deploy(service, "D2", "b2", at(10), commits=[("b2", at(4))], env="staging")
    change = DeploymentCommit.objects.get(deployment=second)
    assert (change.service_id, change.environment.name, change.deployed_at) == (service.pk, "staging", at(10))
    # Re-posting the deployment with a later finish moves its changes with it.
    deploy(service, "D2", "b2", at(12), commits=[("b2", at(4))], env="staging")
    assert DeploymentCommit.objects.get(deployment=second).deployed_at == at(12)
    staging = Environment.objects.get(name="staging")
    window = Window(service, staging, at(11), at(13))
    assert [c.sha for c in changes_in(window)] == [sha("b2")]
    assert not changes_in(Window(service, staging, at(0), at(11))).exists()
    assert timedelta(hours=8).total_seconds() == DeploymentCommit.objects.get(deployment=second).lead_time_s
