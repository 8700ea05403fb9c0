"""django-rq jobs for the ledger: thin wrappers that call services."""

from __future__ import annotations

from ledger.services import ledger_checkpoint_create


def ledger_checkpoint() -> int | None:
    """Run hourly by the RQ cron scheduler (config/cron.py): sign the current head. Returns its seq."""
    checkpoint = ledger_checkpoint_create()
    return checkpoint.seq if checkpoint else None
