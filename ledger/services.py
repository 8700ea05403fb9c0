"""Writes to the audit ledger. Call these inside the transaction that makes the change."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ledger.chain import GENESIS_HASH, checkpoint_message, entry_body, link_hash
from ledger.models import LedgerCheckpoint, LedgerEntry
from ledger.signing import sign, signing_key_fingerprint

# Serialises appends across processes so two writers never chain onto the same head.
_LEDGER_LOCK_KEY = 0x6C6564676572  # "ledger"


def ledger_append(
    *, actor: str, action: str, subject_type: str, subject_id: Any, data: dict[str, Any] | None = None
) -> LedgerEntry:
    """Append one entry chained onto the current head, in the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("ledger_append must run inside the transaction that makes the change")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LEDGER_LOCK_KEY])
    head = LedgerEntry.objects.order_by("-seq").only("seq", "entry_hash").first()
    seq = head.seq + 1 if head else 1
    prev_hash = head.entry_hash if head else GENESIS_HASH
    recorded_at = timezone.now()
    body = entry_body(
        seq=seq,
        recorded_at=recorded_at.isoformat(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=data or {},
    )
    return LedgerEntry.objects.create(
        seq=seq,
        recorded_at=recorded_at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=body["data"],
        prev_hash=prev_hash,
        entry_hash=link_hash(prev_hash, body),
    )


@transaction.atomic
def ledger_record(**kwargs: Any) -> LedgerEntry:
    """Append an entry in a transaction of its own (for events that change nothing else)."""
    return ledger_append(**kwargs)


class LedgerTampered(Exception):
    """The chain no longer holds: nothing may be signed over it until someone looks."""


@transaction.atomic
def ledger_checkpoint_create() -> LedgerCheckpoint | None:
    """Sign the current head (once per head), after checking every link since the last checkpoint.

    Returns None for an empty ledger. Refuses (LedgerTampered) rather than sign over a broken chain.
    """
    from ledger.selectors import ledger_latest_checkpoint, ledger_verify_since

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LEDGER_LOCK_KEY])  # the head must not move meanwhile
    head = LedgerEntry.objects.order_by("-seq").only("seq", "entry_hash").first()
    if head is None:
        return None
    last = ledger_latest_checkpoint()
    if last is not None and last.seq == head.seq:
        return last
    problem = ledger_verify_since(last)
    if problem:
        raise LedgerTampered(problem)
    count = LedgerEntry.objects.filter(seq__lte=head.seq).count()
    created_at = timezone.now()
    message = checkpoint_message(seq=head.seq, head_hash=head.entry_hash, count=count,
                                 created_at=created_at.isoformat())  # fmt: skip
    return LedgerCheckpoint.objects.create(seq=head.seq, head_hash=head.entry_hash, count=count,
                                           created_at=created_at, key_fingerprint=signing_key_fingerprint(),
                                           signature=sign(message))  # fmt: skip
