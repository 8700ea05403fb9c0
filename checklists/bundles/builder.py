"""Write a bundle plan into a signed zip, in chunks (see archive.py), reporting progress as it goes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.db.models import Min, Q

from checklists.bundles.archive import CHUNK, BundleArchive, read_chunks
from checklists.bundles.documents import (
    access_document,
    checklist_html,
    controls_document,
    index_html,
    pull_request_document,
    release_document,
    sample_document,
)
from checklists.bundles.population import SAMPLE_METHOD
from checklists.bundles.selectors import BundleError, BundlePlan, artifact_path, artifact_sources
from evidence.storage import raw_open
from ledger.models import LedgerCheckpoint, LedgerEntry
from ledger.selectors import ledger_entry_body
from ledger.services import LedgerTampered, ledger_checkpoint_create

FORMAT = "gatehouse-evidence-bundle/1"
VERIFIER = Path(__file__).with_name("verify.py")
README = """Gatehouse evidence bundle
=========================

Start with index.html (a summary readable offline). To check that nothing in this folder was changed since
Gatehouse signed it, run, in this folder, with any Python 3.8 or newer (standard library only):

    python3 verify.py

It checks the Ed25519 signature of manifest.json, the SHA-256 and size of every file listed there, the
ledger entries and their chain links up to a signed checkpoint, and the sample drawn from the population.
Compare the key fingerprint it prints with the one shown on Gatehouse's bundles page (or pass the key you
obtained yourself: python3 verify.py --key gatehouse.pem).
"""


def gatehouse_version() -> str:
    try:
        return metadata.version("gatehouse")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class BundleResult:
    manifest_sha256: str
    files: int
    artifact_bytes: int
    head_seq: int
    head_hash: str


class BundleBuilder:
    """Writes ``plan`` into ``target``; iterate ``steps()`` to run it (it yields after every chunk)."""

    def __init__(self, plan: BundlePlan, target, *, actor: str, created_at: datetime,
                 progress: Callable[[int, int], None] | None = None) -> None:  # fmt: skip
        self.plan = plan
        self.actor = actor
        self.created_at = created_at
        self.archive = BundleArchive(target, created_at=created_at)
        self.progress = progress
        self.artifact_bytes_done = 0
        self.result: BundleResult | None = None
        self.checkpoint: LedgerCheckpoint | None = None

    def begin(self) -> None:
        """Sign the ledger head the bundle is anchored to; refuses (BundleError) before any byte is written."""
        if self.checkpoint is not None:
            return
        try:
            self.checkpoint = ledger_checkpoint_create()
        except LedgerTampered as exc:
            raise BundleError(f"the audit ledger does not verify, so nothing is signed over it: {exc}", 409) from None
        if self.checkpoint is None:
            raise BundleError("the audit ledger is empty: there is nothing to anchor the bundle to", 409)

    def steps(self) -> Iterator[int]:
        try:
            self.begin()
            yield from self._steps(self.checkpoint)
        except BaseException:  # includes GeneratorExit: a streamed download the client abandoned
            self.archive.abort()
            raise

    def _steps(self, checkpoint: LedgerCheckpoint) -> Iterator[int]:
        yield from self._artifacts()
        yield from self._releases()
        if self.plan.population is not None:
            yield from self._period()
        ledger = yield from self._ledger(checkpoint)
        yield from self._documents(ledger)
        manifest = {
            "format": FORMAT,
            "gatehouse_version": gatehouse_version(),
            "created_at": self.created_at.isoformat(),
            "created_by": self.actor,
            "scope": {**self.plan.scope.as_dict(), "description": self.plan.scope.describe()},
            "services": [service.slug for service in self.plan.services],
            "ledger": ledger,
            "period": self._period_summary(),
            "notes": self._notes(),
        }
        _bytes, digest = self.archive.finish(manifest)
        self.result = BundleResult(digest, len(self.archive.files) + 3, self.artifact_bytes_done,
                                   ledger["head_seq"], ledger["head_hash"])  # fmt: skip

    def run(self) -> BundleResult:
        for _ in self.steps():
            pass
        return self.result

    def _artifacts(self) -> Iterator[int]:
        sources = artifact_sources(self.plan)
        total = self.plan.artifact_bytes
        for artifact in self.plan.artifacts:
            path = artifact_path(artifact)
            try:
                stream = raw_open(artifact.sha256)
            except FileNotFoundError:
                raise BundleError(f"the raw bytes of artifact {artifact.pk} ({artifact.sha256}) are missing "
                                  "from storage", 500) from None  # fmt: skip
            # gzip uploads are kept compressed: deflating them again costs time and saves nothing.
            compress = artifact.content_encoding != "gzip"
            for written in self.archive.write(path, read_chunks(stream), source=sources.get(path),
                                              compress=compress, size_hint=artifact.size):  # fmt: skip
                self.artifact_bytes_done += written
                if self.progress:
                    self.progress(self.artifact_bytes_done, total)
                yield written

    def _releases(self) -> Iterator[int]:
        for part in self.plan.releases:
            yield from self.archive.write_json(f"{part.folder}/checklist.json", release_document(part))
            yield from self.archive.write_bytes(f"{part.folder}/checklist.html", checklist_html(part))
            yield from self.archive.write_bytes(f"{part.folder}/checklist.md", part.release.checklist_text.encode())
            prs = [pull_request_document(pr, approval) for pr, approval in part.changes]
            yield from self.archive.write_json(f"{part.folder}/pull-requests.json", prs)

    def _period_summary(self) -> dict[str, Any] | None:
        population, scope = self.plan.population, self.plan.scope
        if population is None:
            return None
        return {"from": scope.date_from.isoformat(), "to": scope.date_to.isoformat(),
                "start": scope.start.isoformat(), "end_exclusive": scope.end.isoformat(),
                "population_rows": len(population.rows), "deployments_included": population.deployments_included,
                "sample": {"seed": scope.seed, "size": scope.size, "drawn": len(self.plan.sample)},
                "emergency_changes": len(self.plan.emergency)}  # fmt: skip

    def _period(self) -> Iterator[int]:
        plan, scope = self.plan, self.plan.scope
        population = plan.population
        period = {"from": scope.date_from.isoformat(), "to": scope.date_to.isoformat(),
                  "services": list(scope.services)}  # fmt: skip
        yield from self.archive.write_bytes("period/population.csv", population.csv_bytes())
        yield from self.archive.write_json("period/population.json", population.as_json(
            period=period, generated_at=self.created_at.isoformat()))  # fmt: skip
        sample = {"seed": scope.seed, "size": scope.size, "row_count": len(population.rows), "method": SAMPLE_METHOD,
                  "selected": [{"row": c.position + 1, "change_id": c.row["change_id"], "folder": c.folder}
                               for c in plan.sample]}  # fmt: skip
        yield from self.archive.write_json("period/sample.json", sample)
        for change in plan.sample:
            yield from self.archive.write_json(f"{change.folder}/change.json", sample_document(change, plan))
        yield from self.archive.write_json("period/emergency-changes.json", plan.emergency)

    def _ledger(self, checkpoint: LedgerCheckpoint):
        """ledger/entries.jsonl: every entry about the scope whole, the others as bare links, up to the head."""
        plan = self.plan
        slugs = [service.slug for service in plan.services]
        about = Q(subject_type="release", subject_id__in=[str(p.release.pk) for p in plan.releases])
        about |= Q(subject_type="artifact", subject_id__in=[str(i) for i in _upload_ids(plan)])
        about |= Q(subject_type="service", subject_id__in=slugs)
        if plan.population is not None:
            prs = plan.population.pull_requests.values()
            about |= Q(subject_type="pull_request", subject_id__in=[f"{pr.service.slug}#{pr.number}" for pr in prs])
            about |= Q(recorded_at__gte=plan.scope.start, recorded_at__lt=plan.scope.end, data__service__in=slugs)
        for part in plan.releases:
            about |= Q(
                subject_type="pull_request",
                subject_id__in=[f"{part.release.service.slug}#{pr.number}" for pr, _ in part.changes],
            )
        in_scope_entries = LedgerEntry.objects.filter(about, seq__lte=checkpoint.seq)
        in_scope = set(in_scope_entries.values_list("seq", flat=True))
        first_seq = in_scope_entries.aggregate(first=Min("seq"))["first"] or checkpoint.seq
        first = LedgerEntry.objects.get(seq=first_seq)
        yield from self.archive.write("ledger/entries.jsonl", _ledger_lines(first_seq, checkpoint.seq, in_scope))
        checkpoints = LedgerCheckpoint.objects.filter(seq__gte=first_seq, seq__lte=checkpoint.seq).order_by("seq")
        yield from self.archive.write_json("ledger/checkpoints.json", [_checkpoint(c) for c in checkpoints])
        return {"head_seq": checkpoint.seq, "head_hash": checkpoint.head_hash, "first_seq": first_seq,
                "prev_hash": first.prev_hash, "entries_in_scope": len(in_scope),
                "entries_file": "ledger/entries.jsonl", "checkpoints_file": "ledger/checkpoints.json",
                "checkpoint": _checkpoint(checkpoint),
                "rule": "entry_hash = sha256(prev_hash + '\\n' + canonical JSON of the entry (sorted keys, no "
                        "whitespace, UTF-8)); out-of-scope entries are included as links only"}  # fmt: skip

    def _documents(self, ledger: dict[str, Any]) -> Iterator[int]:
        yield from self.archive.write_json("access.json", access_document())
        files = [entry["path"] for entry in self.archive.files]
        controls = controls_document(self.plan, files)
        yield from self.archive.write_json("controls.json", controls)
        yield from self.archive.write_bytes(
            "index.html", index_html(self.plan, manifest_head=ledger, controls=controls)
        )
        yield from self.archive.write_bytes("README.txt", README.encode())
        yield from self.archive.write_bytes("verify.py", VERIFIER.read_bytes())

    def _notes(self) -> list[str]:
        notes = []
        if self.plan.population is not None:
            notes += [q.unavailable for q in self.plan.population.queries if q.unavailable]
        if not self.plan.releases:
            notes.append("no release falls in this scope")
        return notes


def _upload_ids(plan: BundlePlan) -> set[int]:
    return {artifact.pk for artifact in plan.uploads}


def _checkpoint(checkpoint: LedgerCheckpoint) -> dict[str, Any]:
    return {"seq": checkpoint.seq, "head_hash": checkpoint.head_hash, "count": checkpoint.count,
            "created_at": checkpoint.created_at.isoformat(), "signature": checkpoint.signature,
            "key_fingerprint": checkpoint.key_fingerprint}  # fmt: skip


def _ledger_lines(first_seq: int, head_seq: int, in_scope: set[int]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    entries = LedgerEntry.objects.filter(seq__gte=first_seq, seq__lte=head_seq).order_by("seq")
    for entry in entries.iterator(chunk_size=2000):
        link: dict[str, Any] = {"seq": entry.seq, "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash}
        if entry.seq in in_scope:
            link["entry"] = ledger_entry_body(entry)
        line = json.dumps(link, ensure_ascii=False, separators=(",", ":")) + "\n"
        buffer.append(line)
        size += len(line)
        if size >= CHUNK:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    yield "".join(buffer).encode()
