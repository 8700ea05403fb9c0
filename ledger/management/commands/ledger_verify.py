from django.core.management.base import BaseCommand, CommandError

from ledger.selectors import ledger_verify_chain


class Command(BaseCommand):
    help = "Verify the audit ledger's hash chain and report the first broken link."

    def handle(self, *args, **options):
        report = ledger_verify_chain()
        if not report.ok:
            raise CommandError(
                f"ledger broken at seq {report.broken_seq}: {report.reason} "
                f"({report.checked} entries verified before it)"
            )
        self.stdout.write(f"OK: {report.checked} entries, head {report.head_hash}")
