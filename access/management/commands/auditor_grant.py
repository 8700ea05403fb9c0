from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from access.models import AuditorGrant
from ledger.services import ledger_append
from releases.models import Service


class Command(BaseCommand):
    help = "Grant an auditor read access to services for an observation window, until an expiry date."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--service", action="append", required=True)
        parser.add_argument("--from", dest="window_from", required=True, type=date.fromisoformat)
        parser.add_argument("--to", dest="window_to", required=True, type=date.fromisoformat)
        parser.add_argument("--expires", required=True, type=date.fromisoformat)

    @transaction.atomic
    def handle(self, *args, username, service, window_from, window_to, expires, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username}")
        services = list(Service.objects.filter(slug__in=service))
        if len(services) != len(set(service)):
            raise CommandError("unknown service(s)")
        if window_to < window_from:
            raise CommandError("--to is before --from")
        grant = AuditorGrant.objects.create(
            user=user, window_from=window_from, window_to=window_to,
            expires_at=timezone.make_aware(datetime.combine(expires, datetime.max.time())),
        )  # fmt: skip
        grant.services.set(services)
        ledger_append(actor="cli", action="auditor.granted", subject_type="user", subject_id=username,
                      data={"services": sorted(service), "from": str(window_from), "to": str(window_to),
                            "expires": str(expires)})  # fmt: skip
        self.stdout.write(
            f"granted {username}: {', '.join(sorted(service))} {window_from}..{window_to} until {expires}"
        )
