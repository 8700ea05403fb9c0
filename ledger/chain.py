"""The hash-chain rule, kept free of Django so the offline bundle verifier can mirror it exactly."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(entry: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes on every machine."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_body(
    *, seq: int, recorded_at: str, actor: str, action: str, subject_type: str, subject_id: str, data: Any
) -> dict[str, Any]:
    return {
        "seq": seq,
        "recorded_at": recorded_at,
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "data": data,
    }


def link_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_json(body)).hexdigest()


CHECKPOINT_TYPE = "gatehouse.ledger.checkpoint"


def checkpoint_message(*, seq: int, head_hash: str, count: int, created_at: str) -> bytes:
    """The bytes a checkpoint signature covers: the head it vouches for and how many entries lead to it."""
    return canonical_json(
        {"type": CHECKPOINT_TYPE, "seq": seq, "head_hash": head_hash, "count": count, "created_at": created_at}
    )
