"""Reads of the audit ledger: chain and checkpoint verification, the head, entries for a bundle."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.chain import GENESIS_HASH, checkpoint_message, entry_body, link_hash
from ledger.models import LedgerCheckpoint, LedgerEntry
from ledger.signing import signature_valid, signing_key_fingerprint


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class LedgerReport:
    """The chain and every checkpoint checked; ``problems`` names each thing found wrong."""

    entries: int
    checkpoints: int
    head_hash: str
    problems: list[str] = field(default_factory=list)
    chain_break: ChainReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def ledger_entry_body(entry: LedgerEntry) -> dict:
    return entry_body(
        seq=entry.seq,
        recorded_at=entry.recorded_at.isoformat(),
        actor=entry.actor,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        data=entry.data,
    )


def _link_problem(entry: LedgerEntry, expected_seq: int, prev_hash: str) -> str:
    if entry.seq != expected_seq:
        return f"expected seq {expected_seq}, found {entry.seq}"
    if entry.prev_hash != prev_hash:
        return "prev_hash does not match the previous entry"
    if link_hash(prev_hash, ledger_entry_body(entry)) != entry.entry_hash:
        return "entry content does not match its hash"
    return ""


def ledger_verify_chain(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain in order and report the first entry whose link does not hold."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in LedgerEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        reason = _link_problem(entry, expected_seq, prev_hash)
        if reason:
            return ChainReport(False, checked, prev_hash, entry.seq, reason)
        prev_hash = entry.entry_hash
        expected_seq += 1
        checked += 1
    return ChainReport(True, checked, prev_hash)


def _checkpoint_signature_problem(checkpoint: LedgerCheckpoint, fingerprint: str) -> str:
    if checkpoint.key_fingerprint != fingerprint:
        return (f"checkpoint at seq {checkpoint.seq}: signed by key {checkpoint.key_fingerprint[:16]}..., "
                f"not the configured key {fingerprint[:16]}...")  # fmt: skip
    message = checkpoint_message(seq=checkpoint.seq, head_hash=checkpoint.head_hash, count=checkpoint.count,
                                 created_at=checkpoint.created_at.isoformat())  # fmt: skip
    if not signature_valid(message, checkpoint.signature):
        return f"checkpoint at seq {checkpoint.seq}: the signature does not match its seq, head hash and count"
    return ""


def _checkpoint_match_problems(checkpoint: LedgerCheckpoint, entry: LedgerEntry, count: int) -> list[str]:
    problems = []
    if entry.entry_hash != checkpoint.head_hash:
        problems.append(f"checkpoint at seq {checkpoint.seq}: the entry there hashes to {entry.entry_hash[:16]}... "
                        f"but the signed head was {checkpoint.head_hash[:16]}... (entries up to it were rewritten "
                        "or reordered)")  # fmt: skip
    if count != checkpoint.count:
        problems.append(f"checkpoint at seq {checkpoint.seq}: {count} entries lead to it now, {checkpoint.count} "
                        "when it was signed (entries were deleted or inserted)")  # fmt: skip
    return problems


def ledger_verify(*, batch_size: int = 2000) -> LedgerReport:
    """Walk the whole chain once and check every signed checkpoint against it.

    Reports the first broken link (what follows a break cannot be trusted link by link), and every
    checkpoint whose signature fails or whose head hash or entry count the chain no longer matches.
    """
    fingerprint = signing_key_fingerprint()
    checkpoints = {checkpoint.seq: checkpoint for checkpoint in LedgerCheckpoint.objects.order_by("seq")}
    problems = [p for p in (_checkpoint_signature_problem(c, fingerprint) for c in checkpoints.values()) if p]
    chain_break: ChainReport | None = None
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    seen: set[int] = set()
    for entry in LedgerEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        count += 1
        if chain_break is None:
            reason = _link_problem(entry, expected_seq, prev_hash)
            if reason:
                chain_break = ChainReport(False, count - 1, prev_hash, entry.seq, reason)
                problems.insert(0, f"ledger broken at seq {entry.seq}: {reason}")
        checkpoint = checkpoints.get(entry.seq)
        if checkpoint is not None:
            seen.add(entry.seq)
            problems += _checkpoint_match_problems(checkpoint, entry, count)
        prev_hash, expected_seq = entry.entry_hash, entry.seq + 1
    for seq in sorted(checkpoints.keys() - seen):
        problems.append(f"checkpoint at seq {seq}: no entry with that seq exists any more")
    return LedgerReport(entries=count, checkpoints=len(checkpoints), head_hash=prev_hash, problems=problems,
                        chain_break=chain_break)  # fmt: skip


def ledger_verify_since(checkpoint: LedgerCheckpoint | None, *, batch_size: int = 2000) -> str:
    """What is wrong between ``checkpoint`` (or genesis) and the head, or "" when every link holds."""
    if checkpoint is None:
        report = ledger_verify_chain(batch_size=batch_size)
        return "" if report.ok else f"ledger broken at seq {report.broken_seq}: {report.reason}"
    anchor = LedgerEntry.objects.filter(seq=checkpoint.seq).first()
    if (
        anchor is None
        or anchor.entry_hash != checkpoint.head_hash
        or link_hash(anchor.prev_hash, ledger_entry_body(anchor)) != anchor.entry_hash
    ):
        return f"the entry at seq {checkpoint.seq} no longer matches the checkpoint signed there"
    prev_hash, expected_seq = anchor.entry_hash, anchor.seq + 1
    for entry in LedgerEntry.objects.filter(seq__gt=checkpoint.seq).order_by("seq").iterator(chunk_size=batch_size):
        reason = _link_problem(entry, expected_seq, prev_hash)
        if reason:
            return f"ledger broken at seq {entry.seq}: {reason}"
        prev_hash, expected_seq = entry.entry_hash, expected_seq + 1
    return ""


def ledger_head() -> LedgerEntry | None:
    return LedgerEntry.objects.order_by("-seq").first()


def ledger_latest_checkpoint() -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.order_by("-seq").first()
