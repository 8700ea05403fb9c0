"""django-rq jobs for metrics: thin wrappers that call services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from metrics.derive import metrics_recompute_all
from metrics.services import quarantines_record_expired

# Pull requests reach Gatehouse after the deployments that ship them (the GitHub sync runs every 15
# minutes, webhooks can be replayed later): re-derive the last week so their changes get linked.
RECENT = timedelta(days=7)


def metrics_refresh() -> dict[str, int]:
    """Run by the RQ cron scheduler: re-derive recent metrics and record quarantines that expired."""
    pairs = metrics_recompute_all(since=timezone.now() - RECENT)
    return {"pairs": pairs, "quarantines_expired": quarantines_record_expired()}
