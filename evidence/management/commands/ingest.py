import sys
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError

from evidence.services import IntakeError, Upload, artifact_parse, artifact_receive
from evidence.storage import iter_stream


class Command(BaseCommand):
    help = (
        "Store and parse an artifact synchronously (the same path as the API). Prints one JSON object; "
        "exits 2 when the file cannot be parsed (the raw bytes are still kept, marked failed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the report, or - for standard input")
        parser.add_argument("--service", required=True)
        parser.add_argument("--commit", required=True, help="full 40-hex commit SHA")
        parser.add_argument("--build", default="")
        parser.add_argument("--kind", default="", help="default: detected from the content")
        parser.add_argument("--environment", default="")

    def handle(self, *args, file, service, commit, build, kind, environment, **options):
        upload = Upload(service=service, commit=commit.lower(), kind=kind, build=build,
                        environment=environment, original_name=Path(file).name if file != "-" else "")  # fmt: skip
        try:
            if file == "-":
                artifact, _ = artifact_receive(upload=upload, chunks=iter_stream(sys.stdin.buffer), actor="cli")
            else:
                with open(file, "rb") as stream:
                    artifact, _ = artifact_receive(upload=upload, chunks=iter_stream(stream), actor="cli")
        except FileNotFoundError as exc:
            raise CommandError(f"no such file: {file}", returncode=2) from exc
        except IntakeError as exc:
            kept = f" (raw bytes kept as artifact {exc.artifact.sha256})" if exc.artifact else ""
            raise CommandError(f"{exc.message}{kept}", returncode=2) from exc
        artifact = artifact_parse(artifact_id=artifact.pk)
        if artifact.status == artifact.Status.FAILED:
            raise CommandError(f"{artifact.error} (raw bytes kept as artifact {artifact.sha256})", returncode=2)
        out = {"artifact": artifact.sha256, "kind": artifact.kind, "format": artifact.format,
               "summary": artifact.evidence.summary}  # fmt: skip
        self.stdout.write(orjson.dumps(out).decode())
