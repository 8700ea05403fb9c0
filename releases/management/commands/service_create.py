from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from releases.services import service_create


class Command(BaseCommand):
    help = "Create a service (a deployable unit). Does nothing if the slug exists."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--repo", default="", help="GitHub repository as owner/name")
        parser.add_argument("--name", default="")

    def handle(self, *args, slug, repo, name, **options):
        try:
            service = service_create(slug=slug, name=name, repository=repo, actor="cli")
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"service {service.slug} ({service.repository or 'no repository'})")
