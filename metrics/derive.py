"""Derived fields of deployments, their changes and incidents, recomputed in SQL for one service and environment.

Every event that can change a figure calls ``metrics_recompute`` in its own transaction with the earliest
time it touches; each step below updates only the rows that time can affect, set-based, so a new event
costs a few index probes and a full recompute of a million deployments stays a handful of statements.
The rules are the ones README "Delivery metrics" documents; keep the two in step.
"""

# The SQL below is assembled only from constant fragments of this module; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection, transaction

from metrics.conf import attribution_max_gap, rework_window

# pg_advisory_xact_lock(key, service id): one writer per service recomputes at a time.
LOCK_KEY = 0x6D657472  # "metr"
BEGINNING = datetime(1, 1, 1, tzinfo=UTC)

_PAIR = "d.service_id = %(s)s AND d.environment_id = %(e)s"
_SCOPE = f"{_PAIR} AND d.finished_at >= %(since)s"

_UNFINISHED = f"""
UPDATE metrics_deployment d SET is_baseline = false, previous_success_id = NULL, rollback_of_id = NULL,
  is_failed = false, failure_rule = '', recovered_at = NULL, recovery_rule = '', rework_rule = ''
WHERE {_PAIR} AND d.finished_at IS NULL
"""

# The first finished deployment of the pair is its baseline; each knows the successful one before it.
_ORDER = f"""
UPDATE metrics_deployment d SET
  is_baseline = NOT EXISTS (
    SELECT 1 FROM metrics_deployment p WHERE p.service_id = d.service_id AND p.environment_id = d.environment_id
      AND p.finished_at IS NOT NULL AND (p.finished_at, p.id) < (d.finished_at, d.id)),
  previous_success_id = (
    SELECT p.id FROM metrics_deployment p WHERE p.service_id = d.service_id AND p.environment_id = d.environment_id
      AND p.status = 'success' AND (p.finished_at, p.id) < (d.finished_at, d.id)
    ORDER BY p.finished_at DESC, p.id DESC LIMIT 1)
WHERE {_SCOPE}
"""

# A successful deployment of a SHA first deployed before the live one's SHA rolls the live one back.
# "Earlier" is the order in which SHAs first went live in this pair: no git history is needed.
_FIRST_LIVE = """(SELECT min(x.finished_at) FROM metrics_deployment x WHERE x.service_id = d.service_id
  AND x.environment_id = d.environment_id AND x.status = 'success' AND x.commit_id = {commit})"""
_ROLLBACK = f"""
UPDATE metrics_deployment d SET rollback_of_id = (
  SELECT ps.id FROM metrics_deployment ps
  WHERE ps.id = d.previous_success_id AND d.status = 'success' AND d.commit_id <> ps.commit_id
    AND {_FIRST_LIVE.format(commit="d.commit_id")} < {_FIRST_LIVE.format(commit="ps.commit_id")})
WHERE {_SCOPE}
"""

_CHANGES_DELETE = f"""
DELETE FROM metrics_deploymentcommit dc USING metrics_deployment d
WHERE dc.deployment_id = d.id AND {_PAIR} AND (d.finished_at >= %(since)s OR d.finished_at IS NULL)
"""

# The changes a finished deployment ships: its listed commits (folded into their pull request when
# one is known), plus, when a successful deployment precedes it, the pull requests merged after the
# previous successful deployment's commit and up to its own; failing both, its own commit.
_CHANGES_INSERT = f"""
WITH scope AS (
  SELECT d.id, d.commit_id, d.previous_success_id, d.rollback_of_id, d.listed_commits
  FROM metrics_deployment d WHERE {_SCOPE}
), merged AS (
  SELECT pr.* FROM releases_pullrequest pr WHERE pr.service_id = %(s)s AND pr.merged_at IS NOT NULL
), listed AS (
  SELECT sc.id AS deployment_id, lower(el.value->>'sha') AS sha,
         (el.value->>'authored_at')::timestamptz AS authored_at
  FROM scope sc CROSS JOIN LATERAL jsonb_array_elements(sc.listed_commits) AS el(value)
), listed_pr AS (
  SELECT DISTINCT ON (l.deployment_id, l.sha) l.*, known.id AS pr_id
  FROM listed l LEFT JOIN (
    SELECT m.id, m.merged_at, m.merge_commit_sha AS sha FROM merged m
    UNION ALL
    SELECT m.id, m.merged_at, pc.sha FROM merged m JOIN releases_pullrequestcommit pc ON pc.pull_request_id = m.id
  ) known ON known.sha = l.sha
  ORDER BY l.deployment_id, l.sha, known.merged_at, known.id
), bounds AS (
  SELECT sc.id AS deployment_id,
    (SELECT COALESCE((SELECT min(m.merged_at) FROM merged m WHERE m.merge_commit_sha = c.sha), c.committed_at)
       FROM releases_commit c WHERE c.id = sc.commit_id) AS hi,
    (SELECT COALESCE((SELECT min(m.merged_at) FROM merged m WHERE m.merge_commit_sha = c.sha), c.committed_at)
       FROM metrics_deployment p JOIN releases_commit c ON c.id = p.commit_id WHERE p.id = sc.previous_success_id) AS lo
  FROM scope sc WHERE sc.previous_success_id IS NOT NULL
), window_pr AS (
  SELECT b.deployment_id, m.id AS pr_id FROM bounds b JOIN merged m ON m.merged_at > b.lo AND m.merged_at <= b.hi
), pr_change AS (
  SELECT u.deployment_id, u.pr_id, min(u.listed_at) AS listed_at, bool_or(u.listed) AS listed
  FROM (SELECT deployment_id, pr_id, authored_at AS listed_at, true AS listed FROM listed_pr WHERE pr_id IS NOT NULL
        UNION ALL SELECT deployment_id, pr_id, NULL, false FROM window_pr) u
  GROUP BY u.deployment_id, u.pr_id
), candidates AS (
  SELECT pc.deployment_id, COALESCE(NULLIF(m.merge_commit_sha, ''), m.head_sha) AS sha,
    COALESCE(LEAST((SELECT min(c.authored_at) FROM releases_pullrequestcommit c WHERE c.pull_request_id = m.id),
                   pc.listed_at), m.created_at) AS authored_at,
    m.id AS pr_id, CASE WHEN pc.listed THEN 'listed' ELSE 'pr' END AS origin, 1 AS priority
  FROM pr_change pc JOIN merged m ON m.id = pc.pr_id
  UNION ALL
  SELECT l.deployment_id, l.sha,
    COALESCE(l.authored_at, (SELECT c.authored_at FROM releases_commit c WHERE c.service_id = %(s)s AND c.sha = l.sha)),
    NULL, 'listed', 2
  FROM listed_pr l WHERE l.pr_id IS NULL
  UNION ALL
  SELECT sc.id, c.sha, c.authored_at, NULL, 'head', 3
  FROM scope sc JOIN releases_commit c ON c.id = sc.commit_id JOIN metrics_deployment p ON p.id = sc.previous_success_id
  WHERE jsonb_array_length(sc.listed_commits) = 0 AND sc.rollback_of_id IS NULL AND c.authored_at IS NOT NULL
    AND p.commit_id IS DISTINCT FROM sc.commit_id
    AND NOT EXISTS (SELECT 1 FROM window_pr w WHERE w.deployment_id = sc.id)
), chosen AS (
  SELECT DISTINCT ON (deployment_id, sha) * FROM candidates WHERE sha <> '' ORDER BY deployment_id, sha, priority
), described AS (
  SELECT ch.*, m.is_revert AS pr_revert, m.is_hotfix AS pr_hotfix, m.title AS pr_title, m.merged_at AS pr_merged_at,
    substring((SELECT c.message FROM releases_commit c WHERE c.service_id = %(s)s AND c.sha = ch.sha)
              FROM 'This reverts commit ([0-9a-f]{{40}})') AS reverted_sha
  FROM chosen ch LEFT JOIN merged m ON m.id = ch.pr_id
)
INSERT INTO metrics_deploymentcommit
  (deployment_id, service_id, environment_id, deployed_at, sha, authored_at, pr_id, origin, is_revert, is_hotfix,
   reverts_pr_id, reverts_sha, lead_time_s)
SELECT ds.deployment_id, d.service_id, d.environment_id, CASE WHEN d.status <> 'in_progress' THEN d.finished_at END,
  ds.sha, ds.authored_at, ds.pr_id, ds.origin,
  COALESCE(ds.pr_revert, false) OR ds.reverted_sha IS NOT NULL, COALESCE(ds.pr_hotfix, false),
  COALESCE(
    (SELECT x.id FROM merged x WHERE ds.pr_revert AND x.id <> ds.pr_id AND x.merged_at <= ds.pr_merged_at
       AND ds.pr_title = 'Revert "' || x.title || '"' ORDER BY x.merged_at DESC LIMIT 1),
    (SELECT x.id FROM merged x WHERE ds.reverted_sha IS NOT NULL AND (x.merge_commit_sha = ds.reverted_sha OR EXISTS (
       SELECT 1 FROM releases_pullrequestcommit pc WHERE pc.pull_request_id = x.id AND pc.sha = ds.reverted_sha))
     ORDER BY x.merged_at LIMIT 1)),
  COALESCE(ds.reverted_sha, ''), NULL
FROM described ds JOIN metrics_deployment d ON d.id = ds.deployment_id
"""

# Lead time: only on the first successful deployment of the pair that ships the change (same SHA or PR).
_EARLIER_SUCCESS = """p.service_id = d.service_id AND p.environment_id = d.environment_id AND p.status = 'success'
      AND (p.finished_at, p.id) < (d.finished_at, d.id)"""
_LEAD_TIME = f"""
UPDATE metrics_deploymentcommit dc SET lead_time_s = CASE
  WHEN d.status = 'success' AND dc.authored_at IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM metrics_deploymentcommit o JOIN metrics_deployment p ON p.id = o.deployment_id
    WHERE o.sha = dc.sha AND {_EARLIER_SUCCESS})
  AND (dc.pr_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM metrics_deploymentcommit o JOIN metrics_deployment p ON p.id = o.deployment_id
    WHERE o.pr_id = dc.pr_id AND {_EARLIER_SUCCESS}))
  THEN EXTRACT(EPOCH FROM d.finished_at - dc.authored_at) END
FROM metrics_deployment d WHERE dc.deployment_id = d.id AND {_SCOPE}
"""

_RESOLVE_REFS = """
UPDATE metrics_incident i SET caused_by_deployment_id = d.id FROM metrics_deployment d
WHERE i.service_id = %(s)s AND i.caused_by_deployment_ref <> '' AND i.caused_by_deployment_id IS NULL
  AND d.service_id = i.service_id AND d.external_id = i.caused_by_deployment_ref
"""

# Incidents an event at `since` can re-attribute: opened since (minus the gap), resolved since, or
# naming a deployment that changed.
_INCIDENT_SCOPE = f"""
SELECT i.id, i.attributed_deployment_id FROM metrics_incident i
WHERE i.service_id = %(s)s AND i.environment_id = %(e)s
  AND (i.opened_at >= %(since)s::timestamptz - %(gap)s OR i.resolved_at >= %(since)s)
UNION
SELECT i.id, i.attributed_deployment_id FROM metrics_deployment d
JOIN metrics_incident i ON i.caused_by_deployment_id = d.id
WHERE {_PAIR} AND (d.finished_at >= %(since)s OR d.finished_at IS NULL)
"""

_IPAIR = "{a}.service_id = i.service_id AND {a}.environment_id = i.environment_id"
_FIX_WINDOW = "{a}.finished_at >= i.opened_at AND {a}.finished_at <= COALESCE(i.resolved_at, i.opened_at + %(gap)s)"
# Ranked rules; the first that finds a deployment wins and is recorded.
_ATTRIBUTE = f"""
WITH c AS MATERIALIZED (
  SELECT i.id,
    i.caused_by_deployment_id AS explicit_deployment,
    CASE WHEN i.caused_by_commit <> '' THEN (
      SELECT d.id FROM metrics_deployment d
      WHERE {_IPAIR.format(a="d")} AND d.status IN ('success', 'rolled_back') AND d.started_at <= i.opened_at
        AND (d.commit_id IN (SELECT c.id FROM releases_commit c WHERE c.service_id = i.service_id
                               AND c.sha = i.caused_by_commit)
             OR EXISTS (SELECT 1 FROM metrics_deploymentcommit dc WHERE dc.deployment_id = d.id
                          AND (dc.sha = i.caused_by_commit OR dc.pr_id IN (
                            SELECT pc.pull_request_id FROM releases_pullrequestcommit pc
                            JOIN releases_pullrequest pr ON pr.id = pc.pull_request_id
                            WHERE pr.service_id = i.service_id AND pc.sha = i.caused_by_commit))))
      ORDER BY d.finished_at, d.id LIMIT 1) END AS commit_deployment,
    COALESCE(
      (SELECT r.rollback_of_id FROM metrics_deployment r JOIN metrics_deployment f ON f.id = r.rollback_of_id
       WHERE {_IPAIR.format(a="r")} AND r.rollback_of_id IS NOT NULL AND {_FIX_WINDOW.format(a="r")}
         AND f.started_at <= i.opened_at
       ORDER BY r.finished_at, r.id LIMIT 1),
      (SELECT f.id FROM metrics_deployment f
       WHERE {_IPAIR.format(a="f")} AND f.status = 'rolled_back' AND f.started_at <= i.opened_at
         AND f.finished_at >= i.opened_at AND f.finished_at <= i.opened_at + %(gap)s
       ORDER BY f.finished_at, f.id LIMIT 1)) AS rollback_deployment,
    (SELECT f.id FROM metrics_deployment r
       JOIN metrics_deploymentcommit rc ON rc.deployment_id = r.id AND rc.is_revert
       CROSS JOIN LATERAL (SELECT deployment_id FROM metrics_deploymentcommit WHERE pr_id = rc.reverts_pr_id
                           UNION SELECT deployment_id FROM metrics_deploymentcommit WHERE sha = rc.reverts_sha) fc
       JOIN metrics_deployment f ON f.id = fc.deployment_id
     WHERE {_IPAIR.format(a="r")} AND r.status = 'success' AND {_FIX_WINDOW.format(a="r")}
       AND {_IPAIR.format(a="f")} AND f.status IN ('success', 'rolled_back') AND f.started_at <= i.opened_at
     ORDER BY r.finished_at, f.finished_at, f.id LIMIT 1) AS revert_deployment,
    CASE WHEN EXISTS (
      SELECT 1 FROM metrics_deployment r JOIN metrics_deploymentcommit rc ON rc.deployment_id = r.id AND rc.is_hotfix
      WHERE {_IPAIR.format(a="r")} AND r.status = 'success' AND {_FIX_WINDOW.format(a="r")})
    THEN live.id END AS hotfix_deployment,
    CASE WHEN live.finished_at >= i.opened_at - %(gap)s THEN live.id END AS window_deployment
  FROM metrics_incident i
  LEFT JOIN LATERAL (
    SELECT d.id, d.finished_at FROM metrics_deployment d
    WHERE {_IPAIR.format(a="d")} AND d.status = 'success' AND d.started_at <= i.opened_at
    ORDER BY d.started_at DESC, d.id DESC LIMIT 1) live ON true
  WHERE i.id = ANY(%(ids)s)
)
UPDATE metrics_incident i SET
  attributed_deployment_id = COALESCE(c.explicit_deployment, c.commit_deployment, c.rollback_deployment,
                                      c.revert_deployment, c.hotfix_deployment, c.window_deployment),
  attribution_rule = CASE
    WHEN COALESCE(c.explicit_deployment, c.commit_deployment) IS NOT NULL THEN 'explicit'
    WHEN c.rollback_deployment IS NOT NULL THEN 'rollback'
    WHEN c.revert_deployment IS NOT NULL THEN 'revert'
    WHEN c.hotfix_deployment IS NOT NULL THEN 'hotfix'
    WHEN c.window_deployment IS NOT NULL THEN 'time-window'
    ELSE '' END
FROM c WHERE c.id = i.id
"""

_ROLLBACK_TARGETS = f"SELECT d.rollback_of_id FROM metrics_deployment d WHERE {_SCOPE} AND d.rollback_of_id IS NOT NULL"

# The deployments whose failure, recovery or rework an event at `since` can change: those finished
# since, and the `touched` ones (a rollback target or an incident's deployment, before or after).
_TARGETS = f"""
  SELECT d.id FROM metrics_deployment d WHERE {_SCOPE}
  UNION SELECT unnest(%(touched)s::bigint[])"""

# MATERIALIZED: each CTE's computed columns are read more than once; inlined, PostgreSQL would run
# their subqueries once per reference. ANY(ARRAY(...)): the targets are few, and an array makes the
# planner probe the primary key instead of scanning the table on a poor row estimate.
_FAILURE = f"""
WITH targets AS ({_TARGETS}
), decided AS MATERIALIZED (
  SELECT d.id, d.failure_rule AS old_rule, d.is_failed AS old_failed, CASE
    WHEN d.finished_at IS NULL THEN ''
    WHEN d.status IN ('failed', 'rolled_back') THEN 'status'
    WHEN EXISTS (SELECT 1 FROM metrics_deployment r WHERE r.rollback_of_id = d.id) THEN 'rollback'
    WHEN EXISTS (SELECT 1 FROM metrics_incident i WHERE i.attributed_deployment_id = d.id) THEN 'incident'
    ELSE '' END AS rule
  FROM metrics_deployment d WHERE d.id = ANY(ARRAY(SELECT id FROM targets))
)
UPDATE metrics_deployment d SET failure_rule = x.rule, is_failed = x.rule <> '' FROM decided x
WHERE x.id = d.id AND (x.old_rule <> x.rule OR x.old_failed <> (x.rule <> ''))
"""

# Recovery ends at the earliest of: the next successful deployment, the resolution of every incident
# attributed to it, a kill-switch flag flip of the pair at or after it finished. Failed deployments
# not recovered by `since` are in scope too: a success or a kill switch at `since` can end them.
_RECOVERY = f"""
WITH targets AS ({_TARGETS}
  UNION SELECT d.id FROM metrics_deployment d
  WHERE {_PAIR} AND d.is_failed AND (d.recovered_at IS NULL OR d.recovered_at >= %(since)s)
), arms AS MATERIALIZED (
  SELECT d.id, d.is_failed, d.finished_at, d.recovered_at AS old_at, d.recovery_rule AS old_rule,
    CASE WHEN d.is_failed THEN (
      SELECT n.finished_at FROM metrics_deployment n WHERE n.service_id = d.service_id
        AND n.environment_id = d.environment_id AND n.status = 'success'
        AND (n.finished_at, n.id) > (d.finished_at, d.id)
      ORDER BY n.finished_at, n.id LIMIT 1) END AS next_success,
    CASE WHEN d.is_failed THEN (
      SELECT CASE WHEN count(*) > 0 AND count(*) = count(i.resolved_at) THEN max(i.resolved_at) END
      FROM metrics_incident i WHERE i.attributed_deployment_id = d.id) END AS resolved,
    CASE WHEN d.is_failed THEN (
      SELECT min(f.flipped_at) FROM metrics_flagflip f WHERE f.service_id = d.service_id
        AND f.environment_id = d.environment_id AND f.kill_switch AND f.flipped_at >= d.finished_at) END AS kill
  FROM metrics_deployment d WHERE d.id = ANY(ARRAY(SELECT id FROM targets)) AND d.finished_at IS NOT NULL
), earliest AS MATERIALIZED (
  SELECT *, LEAST(next_success, resolved, kill) AS at FROM arms
), decided AS MATERIALIZED (
  SELECT id, old_at, old_rule, CASE WHEN is_failed AND at IS NOT NULL THEN GREATEST(finished_at, at) END AS at,
    CASE WHEN NOT is_failed OR at IS NULL THEN ''
         WHEN next_success = at THEN 'next-success'
         WHEN resolved = at THEN 'incident-resolved'
         ELSE 'kill-switch' END AS rule
  FROM earliest
)
UPDATE metrics_deployment d SET recovered_at = x.at, recovery_rule = x.rule FROM decided x
WHERE x.id = d.id AND (x.old_at IS DISTINCT FROM x.at OR x.old_rule <> x.rule)
"""

# Rework of the deployments within the window after `since`, and after any touched deployment
# (OFFSET 0 keeps that a per-deployment index range scan: flattened, it became a scan of the table).
_REWORK = f"""
WITH targets AS (
  SELECT d.id FROM metrics_deployment d WHERE {_PAIR} AND d.finished_at >= %(since)s::timestamptz - %(rework)s
  UNION
  SELECT after.id FROM metrics_deployment p CROSS JOIN LATERAL (
    SELECT d.id FROM metrics_deployment d WHERE d.service_id = p.service_id AND d.environment_id = p.environment_id
      AND d.finished_at > p.finished_at AND d.finished_at <= p.finished_at + %(rework)s
    OFFSET 0) after
  WHERE p.id = ANY(%(touched)s)
), decided AS MATERIALIZED (
  SELECT d.id, d.rework_rule AS old_rule, CASE
    WHEN d.rollback_of_id IS NOT NULL THEN 'rollback'
    WHEN EXISTS (SELECT 1 FROM metrics_deploymentcommit dc WHERE dc.deployment_id = d.id AND dc.is_revert) THEN 'revert'
    WHEN EXISTS (SELECT 1 FROM metrics_deploymentcommit dc WHERE dc.deployment_id = d.id AND dc.is_hotfix) THEN 'hotfix'
    WHEN (SELECT p.is_failed AND d.finished_at - p.finished_at <= %(rework)s FROM metrics_deployment p
          WHERE p.service_id = d.service_id AND p.environment_id = d.environment_id AND p.finished_at IS NOT NULL
            AND (p.finished_at, p.id) < (d.finished_at, d.id) ORDER BY p.finished_at DESC, p.id DESC LIMIT 1)
      THEN 'after-failure'
    ELSE '' END AS rule
  FROM metrics_deployment d WHERE d.id = ANY(ARRAY(SELECT id FROM targets)) AND d.finished_at IS NOT NULL
)
UPDATE metrics_deployment d SET rework_rule = x.rule FROM decided x WHERE x.id = d.id AND x.old_rule <> x.rule
"""


def lock_service(service_id: int) -> None:
    """Serialise writers of one service's events until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_KEY, service_id])


@transaction.atomic
def metrics_recompute(*, service_id: int, environment_id: int, since: datetime | None = None) -> None:
    """Bring every derived field of the service and environment up to date for events at or after ``since``.

    ``since=None`` recomputes the pair from its first event (after a bulk load, or a rule change).
    """
    lock_service(service_id)
    params = {
        "s": service_id,
        "e": environment_id,
        "since": since or BEGINNING,
        "gap": attribution_max_gap(),
        "rework": rework_window(),
    }
    with connection.cursor() as cursor:
        # These are many small index probes: JIT compilation would cost seconds and save nothing.
        cursor.execute("SET LOCAL jit = off")

        def run(sql: str) -> None:
            cursor.execute(sql, params)

        def ids(sql: str) -> set[int]:
            cursor.execute(sql, params)
            return {row[0] for row in cursor.fetchall() if row[0] is not None}

        run(_UNFINISHED)
        run(_ORDER)
        touched = ids(_ROLLBACK_TARGETS)
        run(_ROLLBACK)
        touched |= ids(_ROLLBACK_TARGETS)
        run(_CHANGES_DELETE)
        run(_CHANGES_INSERT)
        run(_LEAD_TIME)
        run(_RESOLVE_REFS)
        cursor.execute(_INCIDENT_SCOPE, params)
        incidents = cursor.fetchall()
        touched |= {deployment for _, deployment in incidents if deployment is not None}
        params["ids"] = [incident for incident, _ in incidents]
        if incidents:
            run(_ATTRIBUTE)
            cursor.execute("SELECT attributed_deployment_id FROM metrics_incident WHERE id = ANY(%(ids)s)", params)
            touched |= {row[0] for row in cursor.fetchall() if row[0] is not None}
        params["touched"] = sorted(touched)
        run(_FAILURE)
        run(_RECOVERY)
        run(_REWORK)


def metrics_recompute_all(*, since: datetime | None = None) -> int:
    """Recompute every service and environment that has deployments or incidents; returns how many pairs."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT service_id, environment_id FROM metrics_deployment "
            "UNION SELECT DISTINCT service_id, environment_id FROM metrics_incident"
        )
        pairs = cursor.fetchall()
    for service_id, environment_id in pairs:
        metrics_recompute(service_id=service_id, environment_id=environment_id, since=since)
    return len(pairs)
