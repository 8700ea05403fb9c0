from django.core.management.base import BaseCommand, CommandError

from access.models import ApiToken
from access.services import api_token_revoke


class Command(BaseCommand):
    help = "Revoke an API token by its prefix (the 8 characters after gh1_)."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        token = ApiToken.objects.filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"no token with prefix {prefix}")
        api_token_revoke(token=token, actor="cli")
        self.stdout.write(f"revoked {token}")
