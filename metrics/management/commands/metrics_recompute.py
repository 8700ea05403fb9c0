"""manage.py metrics_recompute [--since ISO]: re-derive delivery metrics (after a bulk load or a rule change)."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from metrics.derive import metrics_recompute_all


class Command(BaseCommand):
    help = "Recompute derived delivery metrics (changes, lead times, attribution, failures, recovery, rework)."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="only events at or after this ISO 8601 time (default: everything)")

    def handle(self, *args, **options):
        since = None
        if options["since"]:
            try:
                since = datetime.fromisoformat(options["since"].replace("Z", "+00:00"))
            except ValueError:
                raise CommandError(f"--since is not an ISO 8601 time: {options['since']!r}") from None
            if since.tzinfo is None:
                raise CommandError("--since needs a UTC offset (e.g. 2025-01-01T00:00:00Z)")
        pairs = metrics_recompute_all(since=since)
        self.stdout.write(f"recomputed {pairs} service/environment pair(s)")
