from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from github import GithubException

from releases.github.sync import SyncError, github_sync


def _since(value: str) -> datetime:
    try:
        moment = parse_datetime(value)  # a bare date is midnight
    except ValueError:  # well-formed but impossible, like 2024-02-30T10:00
        moment = None
    if moment is None:
        raise CommandError(f"--since must be an ISO 8601 date or datetime, got {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Sync a repository's merged pull requests (commits, reviews, check runs) from GitHub."

    def add_arguments(self, parser):
        parser.add_argument("--repo", required=True, help="owner/name, as on the service")
        parser.add_argument("--since", help="only PRs updated since this date (default: resume from the last sync)")

    def handle(self, *args, repo, since, **options):
        try:
            report = github_sync(repo=repo, since=_since(since) if since else None)
        except SyncError as exc:
            raise CommandError(str(exc)) from None
        except GithubException as exc:
            message = exc.data.get("message") if isinstance(exc.data, dict) else exc.data
            raise CommandError(f"GitHub answered {exc.status}: {message}") from exc
        self.stdout.write(str(report))
