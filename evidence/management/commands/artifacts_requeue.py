from django.conf import settings
from django.core.management.base import BaseCommand

from evidence.services import artifacts_requeue


class Command(BaseCommand):
    help = "Queue again every artifact still waiting to be parsed (e.g. accepted while Redis was down)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=settings.GATEHOUSE_REQUEUE_AFTER_S, help="seconds")

    def handle(self, *args, older_than, **options):
        count = artifacts_requeue(older_than_s=older_than)
        self.stdout.write(f"requeued {count} artifact(s)")
