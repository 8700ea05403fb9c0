"""`make bench BENCH=dashboard`: the dashboard's server time at scale, against one hand-written SQL query.

Seeds (once; later runs reuse the rows) 1,000,000 deployments (with one change each), 200,000 incidents and
5,000,000 gate runs over 10 services x 2 environments and two years, straight in SQL (generate_series);
the derived fields are written by the seed as ``metrics_recompute`` would leave them. Then it times, for a
30-day and a 365-day window, the dashboard's computation (``dashboard_data``), the whole page (``/metrics/``
rendered end to end) and a single hand-written query computing the same percentiles over the same rows, in
the same run.
"""

# The SQL below is constant text; values are bound parameters.
# ruff: noqa: S608

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from metrics.sql import PERCENTILES_SQL

SERVICES, ENVIRONMENTS = 10, 2
DEPLOYMENTS, INCIDENTS, GATE_RUNS = 1_000_000, 200_000, 5_000_000
END = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_S = 2 * 365 * 86400
REPEAT = 50

_SEED = """
INSERT INTO metrics_deployment (service_id, environment_id, external_id, build, started_at, finished_at, status,
  listed_commits, source, created_at, updated_at, is_baseline, is_failed, failure_rule, recovered_at, recovery_rule,
  rework_rule)
SELECT s.ids[1 + g %% {services}], e.ids[1 + (g / {services}) %% {envs}], 'bench-' || g, '',
  f - interval '10 minutes', f, CASE WHEN g %% 10 = 0 THEN 'failed' ELSE 'success' END, '[]', 'api', now(), now(),
  false, g %% 10 = 0, CASE WHEN g %% 10 = 0 THEN 'status' ELSE '' END,
  CASE WHEN g %% 10 = 0 THEN f + make_interval(secs => 600 + (g * 7919) %% 20000) END,
  CASE WHEN g %% 10 = 0 THEN 'next-success' ELSE '' END, CASE WHEN g %% 25 = 1 THEN 'after-failure' ELSE '' END
FROM generate_series(1::bigint, {deployments}) g,
  LATERAL (SELECT %(end)s::timestamptz - make_interval(secs => (g::bigint * 7331) %% {span}) AS f) t,
  (SELECT array_agg(id ORDER BY id) AS ids FROM releases_service WHERE slug LIKE 'bench-dash-%%') s,
  (SELECT array_agg(id ORDER BY id) AS ids FROM releases_environment WHERE name LIKE 'bench-dash-%%') e;
INSERT INTO metrics_deploymentcommit (deployment_id, service_id, environment_id, deployed_at, sha, authored_at, origin,
  is_revert, is_hotfix, reverts_sha, lead_time_s)
SELECT d.id, d.service_id, d.environment_id, d.finished_at, md5(d.external_id) || '00000000',
  d.finished_at - make_interval(secs => 3600 + (d.id * 104729) %% 400000),
  'listed', false, false, '', 3600 + (d.id * 104729) %% 400000
FROM metrics_deployment d WHERE d.external_id LIKE 'bench-%%';
INSERT INTO metrics_incident (service_id, environment_id, external_id, opened_at, detected_at, resolved_at, severity,
  title, caused_by_deployment_ref, caused_by_commit, source, created_at, updated_at, attribution_rule)
SELECT s.ids[1 + g %% {services}], e.ids[1 + (g / {services}) %% {envs}], 'bench-inc-' || g, o,
  o + make_interval(secs => (g * 31) %% 900), o + make_interval(secs => 900 + (g * 7907) %% 30000), 'sev2', '', '', '',
  'api', now(), now(), CASE WHEN g %% 3 = 0 THEN 'time-window' ELSE '' END
FROM generate_series(1::bigint, {incidents}) g,
  LATERAL (SELECT %(end)s::timestamptz - make_interval(secs => (g::bigint * 9173) %% {span}) AS o) t,
  (SELECT array_agg(id ORDER BY id) AS ids FROM releases_service WHERE slug LIKE 'bench-dash-%%') s,
  (SELECT array_agg(id ORDER BY id) AS ids FROM releases_environment WHERE name LIKE 'bench-dash-%%') e;
INSERT INTO metrics_gaterun (service_id, gate, run_id, sha, attempt, status, duration_s, started_at, queue_s,
  external_id, source, created_at)
SELECT s.ids[1 + g %% {services}], 'gate-' || (g / {services}) %% 12, '', md5((g / 120)::text) || '00000000', 1,
  CASE WHEN g %% 17 = 0 THEN 'fail' ELSE 'pass' END, 30 + g %% 600,
  %(end)s::timestamptz - make_interval(secs => (g::bigint * 3571) %% {span}), g %% 97, 'bench-gr-' || g, 'api', now()
FROM generate_series(1::bigint, {gate_runs}) g,
  (SELECT array_agg(id ORDER BY id) AS ids FROM releases_service WHERE slug LIKE 'bench-dash-%%') s;
"""

# One hand-written query computing every percentile the dashboard shows (lead time and its four segments,
# recovery, time to restore, time to detect, CI queue time, canary duration, and the per-bucket medians of
# lead time and recovery its trend draws) with the counts, straight from the event rows: deployments, their
# changes (by the columns they carry), incidents, gate runs, canary steps. It reads no rollup; the dashboard may.
_BASELINE = f"""
WITH changes AS (
  SELECT dc.authored_at, dc.deployed_at, pr.created_at, pr.merged_at,
    (SELECT min(r.submitted_at) FROM releases_review r WHERE r.pull_request_id = dc.pr_id) AS first_review
  FROM metrics_deploymentcommit dc LEFT JOIN releases_pullrequest pr ON pr.id = dc.pr_id
  WHERE dc.service_id = %(s)s AND dc.environment_id = %(e)s AND dc.deployed_at >= %(start)s
    AND dc.deployed_at < %(end)s AND dc.lead_time_s IS NOT NULL
)
SELECT
 (SELECT row(count(*), count(*) FILTER (WHERE is_failed),
    percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM recovered_at - finished_at))
      FILTER (WHERE is_failed AND recovered_at IS NOT NULL))
  FROM metrics_deployment WHERE service_id = %(s)s AND environment_id = %(e)s AND finished_at >= %(start)s
    AND finished_at < %(end)s AND status <> 'in_progress'),
 (SELECT row(count(*), percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY lead_time_s))
  FROM metrics_deploymentcommit WHERE service_id = %(s)s AND environment_id = %(e)s AND deployed_at >= %(start)s
    AND deployed_at < %(end)s AND lead_time_s IS NOT NULL),
 (SELECT row(percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM created_at - authored_at))
    , percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM first_review - created_at))
    , percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM merged_at - first_review))
    , percentile_cont({PERCENTILES_SQL})
        WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM deployed_at - COALESCE(merged_at, authored_at))))
  FROM changes),
 (SELECT row(count(*),
    percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM resolved_at - detected_at))
      FILTER (WHERE resolved_at IS NOT NULL),
    percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM detected_at - opened_at)))
  FROM metrics_incident WHERE service_id = %(s)s AND environment_id = %(e)s AND detected_at >= %(start)s
    AND detected_at < %(end)s),
 (SELECT row(count(queue_s), percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY queue_s))
  FROM metrics_gaterun WHERE service_id = %(s)s AND started_at >= %(start)s AND started_at < %(end)s),
 (SELECT array_agg(row(bucket, p50) ORDER BY bucket) FROM (
    SELECT date_trunc(%(bucket)s, finished_at AT TIME ZONE 'UTC') AS bucket,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM recovered_at - finished_at))
        FILTER (WHERE is_failed AND recovered_at IS NOT NULL) AS p50
    FROM metrics_deployment WHERE service_id = %(s)s AND environment_id = %(e)s AND finished_at >= %(start)s
      AND finished_at < %(end)s AND status <> 'in_progress' GROUP BY 1) recovery_trend),
 (SELECT array_agg(row(bucket, p50) ORDER BY bucket) FROM (
    SELECT date_trunc(%(bucket)s, deployed_at AT TIME ZONE 'UTC') AS bucket,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_time_s) AS p50
    FROM metrics_deploymentcommit WHERE service_id = %(s)s AND environment_id = %(e)s AND deployed_at >= %(start)s
      AND deployed_at < %(end)s GROUP BY 1) lead_trend),
 (SELECT percentile_cont({PERCENTILES_SQL}) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM last - first))
  FROM (SELECT min(cs.started_at) AS first, max(cs.finished_at) AS last
        FROM metrics_canarystep cs JOIN metrics_deployment d ON d.id = cs.deployment_id
        WHERE d.service_id = %(s)s AND d.environment_id = %(e)s AND d.finished_at >= %(start)s
          AND d.finished_at < %(end)s GROUP BY cs.deployment_id) canaries)
"""


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


_SEEDED_TABLES = ("metrics_deployment", "metrics_deploymentcommit", "metrics_incident", "metrics_gaterun",
                  "metrics_gaterunday", "metrics_queuetimeday")  # fmt: skip


def seed(*, deployments: int = DEPLOYMENTS, incidents: int = INCIDENTS, gate_runs: int = GATE_RUNS) -> bool:
    """Write the benchmark's events unless they are there already; True when it wrote them."""
    from django.db import connection, transaction

    from metrics.models import Deployment
    from releases.models import Environment, Service

    if Deployment.objects.filter(external_id=f"bench-{deployments}").exists():
        return False
    with transaction.atomic():
        for number in range(SERVICES):
            Service.objects.get_or_create(slug=f"bench-dash-{number}", defaults={"name": f"bench {number}"})
        for number in range(ENVIRONMENTS):
            Environment.objects.get_or_create(name=f"bench-dash-{number}")
        sql = _SEED.format(services=SERVICES, envs=ENVIRONMENTS, deployments=deployments, incidents=incidents,
                           gate_runs=gate_runs, span=SPAN_S)  # fmt: skip
        with connection.cursor() as cursor:
            for statement in filter(str.strip, sql.split(";")):
                cursor.execute(statement, {"end": END})
    return True


def baseline(*, service, environment, start: datetime, end: datetime) -> tuple:
    """The hand-written query's row for one service, environment and window."""
    from django.db import connection

    from metrics.dashboard import trend_bucket

    params = {"s": service.pk, "e": environment.pk, "start": start, "end": end, "bucket": trend_bucket(start, end)}
    with connection.cursor() as cursor:
        cursor.execute(_BASELINE, params)
        return cursor.fetchone()


def _time(function, repeat: int = REPEAT) -> list[float]:
    function()  # warm caches and plans
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _viewer():
    """A user who may see every service (the page's filters and audit scope run as for anyone)."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer", defaults={"is_superuser": True})
    return user


def run_dashboard(name: str, db_url: str) -> None:
    """Seed (once), then print ``BENCH dashboard ratio=... p95_ms=... p95_365_ms=...``.

    ``ratio``/``p95_ms`` time the dashboard's computation (``dashboard_data``: every figure, trend, histogram
    and table the page shows) against the hand-written query; ``page_*`` time the whole page end to end through
    Django (middleware, filters, queries, charts, HTML), as a production server renders it (DEBUG off).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["GATEHOUSE_DEBUG"] = "0"  # DEBUG would record every query and slow the page down
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from metrics.dashboard import dashboard_data
    from releases.models import Environment, Service

    started = time.perf_counter()
    if seed():
        # What autovacuum leaves behind on a live system: statistics, and visibility maps for index-only scans.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(_SEEDED_TABLES)}")
        print(f"bench dashboard: seeded in {time.perf_counter() - started:.0f} s", flush=True)
    service, environment = Service.objects.get(slug="bench-dash-0"), Environment.objects.get(name="bench-dash-0")
    browser = Client()
    browser.force_login(_viewer())
    results = {}
    for days in (30, 365):
        start = END - timedelta(days=days)
        # The page's from/to are whole days: [from, to + 1 day) is exactly [start, END).
        url = (f"/metrics/?service={service.slug}&environment={environment.name}&from={start.date()}"
               f"&to={(END - timedelta(days=1)).date()}")  # fmt: skip

        def page(url=url):
            response = browser.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"the dashboard answered {response.status_code}")

        def data(start=start):
            return dashboard_data(service=service, environment=environment, start=start, end=END)

        def query(start=start):
            return baseline(service=service, environment=environment, start=start, end=END)

        results[days] = (_p95(_time(page)), _p95(_time(query)), _p95(_time(data)))
    (p30, b30, d30), (p365, b365, d365) = results[30], results[365]
    print(
        f"BENCH {name} ratio={d30 / b30:.2f} p95_ms={d30:.1f} ratio_365={d365 / b365:.2f} p95_365_ms={d365:.1f} "
        f"page_ratio={p30 / b30:.2f} page_p95_ms={p30:.1f} page_ratio_365={p365 / b365:.2f} "
        f"page_p95_365_ms={p365:.1f} baseline_p95_ms={b30:.1f} baseline_p95_365_ms={b365:.1f} "
        f"deployments={DEPLOYMENTS} incidents={INCIDENTS} gate_runs={GATE_RUNS}",
        flush=True,
    )
