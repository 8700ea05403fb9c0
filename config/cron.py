"""Periodic jobs, run by `python manage.py rqcron config/cron.py` (RQ's own cron scheduler)."""

from rq import cron

from checklists.bundles.jobs import expire_bundles
from checklists.jobs import reevaluate_expired_waivers
from evidence.jobs import requeue_pending_artifacts
from ledger.jobs import ledger_checkpoint
from metrics.jobs import metrics_refresh
from releases.jobs import sync_all_repositories

cron.register(requeue_pending_artifacts, queue_name="ingest", interval=30)
cron.register(reevaluate_expired_waivers, queue_name="default", interval=300)
cron.register(ledger_checkpoint, queue_name="default", interval=3600)  # signed ledger head, hourly
cron.register(sync_all_repositories, queue_name="default", interval=900)
cron.register(metrics_refresh, queue_name="default", interval=900)  # late PR data, expired quarantines
cron.register(expire_bundles, queue_name="default", interval=3600)  # bundle files past GATEHOUSE_BUNDLE_KEEP_DAYS
