"""Periodic jobs, run by `python manage.py rqcron config/cron.py` (RQ's own cron scheduler)."""

from rq import cron

from evidence.jobs import requeue_pending_artifacts

cron.register(requeue_pending_artifacts, queue_name="ingest", interval=30)
