"""The dashboard's long windows without long scans.

* Changes carry their deployment's service, environment and finished_at (``deployed_at``), so lead-time
  aggregates read one index range instead of joining a million deployments.
* ``metrics_gaterunday`` and ``metrics_queuetimeday`` count gate runs per UTC day; statement-level triggers on
  ``metrics_gaterun`` keep them in the same transaction as every insert, update and delete (whatever wrote
  the run: the API, an adapter, a bulk load), by adding the new rows and subtracting the old ones.
"""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL_CHANGES = """
UPDATE metrics_deploymentcommit dc SET service_id = d.service_id, environment_id = d.environment_id,
  deployed_at = CASE WHEN d.status <> 'in_progress' THEN d.finished_at END
FROM metrics_deployment d WHERE d.id = dc.deployment_id;
-- The deferred foreign-key checks of the update run now, so the columns can become NOT NULL below.
SET CONSTRAINTS ALL IMMEDIATE;
"""

# Concurrent writers lock rollup rows in one order (the unique key's), so two bulk loads cannot deadlock.
# Runs a statement removed are subtracted first (an update is a removal plus an insertion), then the runs it
# added are counted in; a (day, gate) or (day, queue time) left with no runs disappears. Static SQL per branch:
# PL/pgSQL plans a statement when it first runs, so the INSERT trigger never touches the absent old table.
ROLLUP_FUNCTION = """
CREATE FUNCTION metrics_gaterun_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE metrics_gaterunday r SET passed = r.passed - o.passed, failed = r.failed - o.failed
    FROM (SELECT service_id, gate, (started_at AT TIME ZONE 'UTC')::date AS day,
            count(*) FILTER (WHERE status = 'pass') AS passed, count(*) FILTER (WHERE status <> 'pass') AS failed
          FROM gaterun_old GROUP BY 1, 2, 3) o
    WHERE r.service_id = o.service_id AND r.day = o.day AND r.gate = o.gate;
    DELETE FROM metrics_gaterunday r USING gaterun_old o
    WHERE r.service_id = o.service_id AND r.day = (o.started_at AT TIME ZONE 'UTC')::date AND r.gate = o.gate
      AND r.passed = 0 AND r.failed = 0;
    UPDATE metrics_queuetimeday r SET runs = r.runs - o.runs
    FROM (SELECT service_id, (started_at AT TIME ZONE 'UTC')::date AS day, queue_s, count(*) AS runs
          FROM gaterun_old WHERE queue_s IS NOT NULL GROUP BY 1, 2, 3) o
    WHERE r.service_id = o.service_id AND r.day = o.day AND r.queue_s = o.queue_s;
    DELETE FROM metrics_queuetimeday r USING gaterun_old o
    WHERE r.service_id = o.service_id AND r.day = (o.started_at AT TIME ZONE 'UTC')::date AND r.queue_s = o.queue_s
      AND r.runs = 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO metrics_gaterunday AS r (service_id, gate, day, passed, failed)
    SELECT service_id, gate, (started_at AT TIME ZONE 'UTC')::date,
      count(*) FILTER (WHERE status = 'pass'), count(*) FILTER (WHERE status <> 'pass')
    FROM gaterun_new GROUP BY 1, 2, 3 ORDER BY 1, 3, 2
    ON CONFLICT (service_id, day, gate) DO UPDATE
      SET passed = r.passed + EXCLUDED.passed, failed = r.failed + EXCLUDED.failed;
    INSERT INTO metrics_queuetimeday AS r (service_id, day, queue_s, runs)
    SELECT service_id, (started_at AT TIME ZONE 'UTC')::date, queue_s, count(*)
    FROM gaterun_new WHERE queue_s IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (service_id, day, queue_s) DO UPDATE SET runs = r.runs + EXCLUDED.runs;
  END IF;
  RETURN NULL;
END $$;
"""

ROLLUP_TRIGGERS = """
CREATE TRIGGER metrics_gaterun_rollup_insert AFTER INSERT ON metrics_gaterun
  REFERENCING NEW TABLE AS gaterun_new FOR EACH STATEMENT EXECUTE FUNCTION metrics_gaterun_rollup();
CREATE TRIGGER metrics_gaterun_rollup_update AFTER UPDATE ON metrics_gaterun
  REFERENCING OLD TABLE AS gaterun_old NEW TABLE AS gaterun_new FOR EACH STATEMENT
  EXECUTE FUNCTION metrics_gaterun_rollup();
CREATE TRIGGER metrics_gaterun_rollup_delete AFTER DELETE ON metrics_gaterun
  REFERENCING OLD TABLE AS gaterun_old FOR EACH STATEMENT EXECUTE FUNCTION metrics_gaterun_rollup();
"""

BACKFILL_ROLLUPS = """
INSERT INTO metrics_gaterunday (service_id, gate, day, passed, failed)
SELECT service_id, gate, (started_at AT TIME ZONE 'UTC')::date,
  count(*) FILTER (WHERE status = 'pass'), count(*) FILTER (WHERE status <> 'pass')
FROM metrics_gaterun GROUP BY 1, 2, 3;
INSERT INTO metrics_queuetimeday (service_id, day, queue_s, runs)
SELECT service_id, (started_at AT TIME ZONE 'UTC')::date, queue_s, count(*)
FROM metrics_gaterun WHERE queue_s IS NOT NULL GROUP BY 1, 2, 3;
"""

DROP_ROLLUPS = """
DROP TRIGGER metrics_gaterun_rollup_insert ON metrics_gaterun;
DROP TRIGGER metrics_gaterun_rollup_update ON metrics_gaterun;
DROP TRIGGER metrics_gaterun_rollup_delete ON metrics_gaterun;
DROP FUNCTION metrics_gaterun_rollup();
"""


def service_fk(**options):
    return models.ForeignKey(
        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="releases.service", **options
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0002_dashboard_covering_indexes"),
        ("releases", "0003_service_cosign_key"),
    ]

    operations = [
        migrations.CreateModel(
            name="GateRunDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("service", service_fk()),
                ("gate", models.CharField(max_length=300)),
                ("day", models.DateField()),
                ("passed", models.PositiveIntegerField()),
                ("failed", models.PositiveIntegerField()),
            ],
            options={"ordering": ["day", "gate"]},
        ),
        migrations.CreateModel(
            name="QueueTimeDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("service", service_fk()),
                ("day", models.DateField()),
                ("queue_s", models.FloatField()),
                ("runs", models.PositiveIntegerField()),
            ],
            options={"ordering": ["day", "queue_s"]},
        ),
        migrations.AddConstraint(
            model_name="gaterunday",
            constraint=models.UniqueConstraint(
                fields=("service", "day", "gate"), include=("passed", "failed"), name="gate_run_day_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="queuetimeday",
            constraint=models.UniqueConstraint(
                fields=("service", "day", "queue_s"), include=("runs",), name="queue_time_day_unique"
            ),
        ),
        migrations.RunSQL(ROLLUP_FUNCTION + ROLLUP_TRIGGERS + BACKFILL_ROLLUPS, DROP_ROLLUPS),
        migrations.RemoveIndex(model_name="deploymentcommit", name="deployment_commit_cover"),
        migrations.AddField(
            model_name="deploymentcommit", name="deployed_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="deploymentcommit",
            name="environment",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="releases.environment",
            ),
        ),
        migrations.AddField(model_name="deploymentcommit", name="service", field=service_fk(null=True)),
        migrations.RunSQL(BACKFILL_CHANGES, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="deploymentcommit",
            name="environment",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="releases.environment"
            ),
        ),
        migrations.AlterField(model_name="deploymentcommit", name="service", field=service_fk()),
        migrations.AddIndex(
            model_name="deploymentcommit",
            index=models.Index(
                fields=["service", "environment", "deployed_at"],
                include=("deployment", "lead_time_s", "authored_at", "pr"),
                name="deployment_commit_window",
            ),
        ),
    ]
