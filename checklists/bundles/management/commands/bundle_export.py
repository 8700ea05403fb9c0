from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from checklists.bundles.selectors import BundleError, BundleScope
from checklists.bundles.services import bundle_export_file
from ledger.signing import signing_key_fingerprint


class Command(BaseCommand):
    help = (
        "Export a signed evidence bundle: --release ID, or --service SLUG [--service ...] --from DATE --to DATE "
        "[--seed N --size N]; always --out FILE.zip"
    )

    def add_arguments(self, parser):
        parser.add_argument("--release", type=int, help="release id: a release bundle")
        parser.add_argument("--service", action="append", default=[], help="service slug (repeatable): a period")
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat, help="first day, YYYY-MM-DD (UTC)")
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat, help="last day, inclusive")
        parser.add_argument("--seed", type=int, help="sample seed (chosen and recorded when absent)")
        parser.add_argument("--size", type=int, default=25, help="sample size (default 25)")
        parser.add_argument("--out", required=True, type=Path, help="the zip file to write")

    def handle(self, *args, **options):
        if bool(options["release"]) == bool(options["service"]):
            raise CommandError("give either --release ID or --service SLUG with --from and --to")
        scope = BundleScope(release_id=options["release"], services=tuple(options["service"]),
                            date_from=options["date_from"], date_to=options["date_to"], seed=options["seed"],
                            size=options["size"])  # fmt: skip
        try:
            result = bundle_export_file(scope=scope, out=options["out"], actor="cli")
        except BundleError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"{options['out']}: {result.files} files, {result.artifact_bytes} artifact bytes, manifest sha256 "
            f"{result.manifest_sha256}, ledger head seq {result.head_seq}, key {signing_key_fingerprint()}"
        )
