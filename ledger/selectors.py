"""Reads of the audit ledger."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.chain import GENESIS_HASH, entry_body, link_hash
from ledger.models import LedgerEntry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""


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


def ledger_verify_chain(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain in order and report the first entry whose link does not hold."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in LedgerEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return ChainReport(False, checked, prev_hash, entry.seq, f"expected seq {expected_seq}, found {entry.seq}")
        if entry.prev_hash != prev_hash:
            return ChainReport(False, checked, prev_hash, entry.seq, "prev_hash does not match the previous entry")
        if link_hash(prev_hash, ledger_entry_body(entry)) != entry.entry_hash:
            return ChainReport(False, checked, prev_hash, entry.seq, "entry content does not match its hash")
        prev_hash = entry.entry_hash
        expected_seq += 1
        checked += 1
    return ChainReport(True, checked, prev_hash)


def ledger_head() -> LedgerEntry | None:
    return LedgerEntry.objects.order_by("-seq").first()
