from django.core.management.base import BaseCommand, CommandError

from releases.github.webhooks import webhook_replay
from releases.models import WebhookDelivery


class Command(BaseCommand):
    help = "Process stored GitHub webhook deliveries again: by id, every failed one, or every pending one."

    def add_arguments(self, parser):
        parser.add_argument("delivery_ids", nargs="*", metavar="DELIVERY_ID")
        parser.add_argument("--failed", action="store_true", help="every delivery whose processing left an error")
        parser.add_argument(
            "--pending", action="store_true", help="every delivery stored but never processed (no handler yet)"
        )

    def handle(self, *args, delivery_ids, failed, pending, **options):
        if not (delivery_ids or failed or pending):
            raise CommandError("name DELIVERY_IDs, or pass --failed or --pending")
        deliveries = []
        if delivery_ids:
            found = {d.delivery_id: d for d in WebhookDelivery.objects.filter(delivery_id__in=delivery_ids)}
            missing = [d for d in delivery_ids if d not in found]
            if missing:
                raise CommandError(f"no stored delivery with id {', '.join(missing)}")
            deliveries += [found[d] for d in delivery_ids]
        if failed:
            deliveries += WebhookDelivery.objects.exclude(error="").order_by("received_at")
        if pending:
            deliveries += WebhookDelivery.objects.filter(processed_at__isnull=True, error="").order_by("received_at")
        outcomes: dict[str, int] = {}
        for delivery in dict.fromkeys(deliveries):
            outcome = webhook_replay(delivery=delivery)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            self.stdout.write(f"{delivery.delivery_id} {delivery.event}.{delivery.action}: {outcome}")
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())) or "nothing"
        self.stdout.write(f"replayed {sum(outcomes.values())} deliveries: {summary}")
