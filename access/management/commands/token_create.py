from django.core.management.base import BaseCommand, CommandError

from access.models import ALL_SCOPES
from access.services import api_token_create
from releases.models import Service


class Command(BaseCommand):
    help = "Create an API token for CI. The token is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--service", action="append", required=True, help="service slug (repeatable)")
        parser.add_argument("--scope", action="append", choices=ALL_SCOPES, help="default: every scope")
        parser.add_argument("--name", default="", help="what the token is for (e.g. 'github actions')")

    def handle(self, *args, service, scope, name, **options):
        services = list(Service.objects.filter(slug__in=service))
        missing = sorted(set(service) - {s.slug for s in services})
        if missing:
            raise CommandError(f"unknown service(s): {', '.join(missing)} (create with service_create)")
        token, plaintext = api_token_create(
            name=name or f"cli token for {', '.join(service)}", services=services, scopes=scope, actor="cli"
        )
        self.stdout.write(
            f"token {token.prefix} for {', '.join(sorted(service))}, scopes {', '.join(token.scopes)}; "
            "store it now, it is not shown again:"
        )
        self.stdout.write(plaintext)
