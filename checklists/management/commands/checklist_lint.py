from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from checklists.definitions import ChecklistError, checklist_parse, pr_template_snippet


class Command(BaseCommand):
    help = "Check a checklist file (release-vN.md): CEL syntax, evidence fields, length. Prints the PR snippet."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            checklist = checklist_parse(path.read_text(), name=path.stem, source=str(path))
        except ChecklistError as exc:
            for problem in exc.problems:
                self.stderr.write(f"error: {path.name}: {problem}")
            raise CommandError(f"{len(exc.problems)} error(s) in {path.name}") from exc
        for warning in checklist.warnings:
            self.stderr.write(f"warning: {path.name}: {warning}")
        gates = sum(1 for item in checklist.items if item.gate)
        self.stdout.write(f"OK: {checklist.name} v{checklist.version}, {len(checklist.items)} items ({gates} gates)")
        self.stdout.write("\nPR template snippet:\n")
        self.stdout.write(pr_template_snippet(checklist))
