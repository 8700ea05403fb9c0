from django.core.management.base import BaseCommand, CommandError

from ledger.selectors import ledger_verify
from ledger.signing import signing_key_fingerprint


class Command(BaseCommand):
    help = "Verify the audit ledger: every hash-chain link and every signed checkpoint against the chain."

    def handle(self, *args, **options):
        report = ledger_verify()
        if not report.ok:
            raise CommandError("\n".join(report.problems))
        self.stdout.write(
            f"OK: {report.entries} entries, {report.checkpoints} signed checkpoints, head {report.head_hash}, "
            f"key {signing_key_fingerprint()}"
        )
