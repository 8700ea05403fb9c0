from django.core.management.base import BaseCommand

from demo.loader import CORPUS, demo_is_loaded, demo_load


class Command(BaseCommand):
    help = "Load demo users, services and real reports (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing when services already exist")

    def handle(self, *args, if_empty, **options):
        if if_empty and demo_is_loaded():
            self.stdout.write("demo data: database already has services, nothing loaded")
            return
        counts = demo_load()
        corpus = "with" if CORPUS.is_dir() else "without"
        self.stdout.write(
            f"demo data: {counts['services']} services, {counts['artifacts']} artifacts ingested, "
            f"{counts['releases']} releases "
            f"({counts['failed']} failed, {counts['missing']} files not present; {corpus} ../shared/corpus)"
        )
