"""manage.py metrics_event_replay [ID ...] [--failed]: use stored native webhook bodies again."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from metrics.intake import event_delivery_replay
from metrics.models import EventDelivery


class Command(BaseCommand):
    help = "Process stored Argo Rollouts/Flagger/LaunchDarkly/Unleash/PagerDuty deliveries again."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="delivery ids")
        parser.add_argument("--failed", action="store_true", help="every delivery that failed")

    def handle(self, *args, **options):
        if not options["ids"] and not options["failed"]:
            raise CommandError("name delivery ids or pass --failed")
        deliveries = EventDelivery.objects.order_by("received_at")
        deliveries = (
            deliveries.filter(pk__in=options["ids"])
            if options["ids"]
            else deliveries.filter(status=EventDelivery.Status.FAILED)
        )
        for delivery in deliveries:
            result = event_delivery_replay(delivery=delivery)
            self.stdout.write(f"{delivery.pk} {delivery.source}: {result.status} {delivery.status} {delivery.error}")
