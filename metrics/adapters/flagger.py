"""Flagger event webhooks (``--event-webhook`` or an analysis webhook of type ``event``).

Flagger posts ``{"name", "namespace", "phase", "checksum", "type": "event", "metadata": {"eventMessage",
"eventType", "timestamp" (ms)}}`` for every canary event. One deployment per canary revision, id
``<namespace>/<name>/<checksum>``: "New revision detected" starts it, "Advance ... canary weight N" opens
a canary step at N%, a "Halt ..." message becomes the open step's analysis, "Promotion completed" (or
phase ``Succeeded``) ends it as ``success``, "Rolling back ..." / "Canary failed" (or phase ``Failed``)
as ``rolled_back`` with the open step aborted. Other webhook types (the gating hooks) are not events.
The commit is ``?commit=``, else webhook metadata ``commit``/``sha``; the service ``?service=``, else
the canary's name; the environment ``?environment=``, else the namespace.
"""

from __future__ import annotations

import re
from typing import Any

from metrics.adapters.base import Event, Hints, commit_sha, environment_name, from_millis, require, service_name

_WEIGHT_RE = re.compile(r"canary weight (\d+)", re.IGNORECASE)
_SUCCESS_RE = re.compile(r"^Promotion completed", re.IGNORECASE)
_ROLLBACK_RE = re.compile(r"^(Rolling back|Canary failed)", re.IGNORECASE)
_HALT_RE = re.compile(r"^Halt ", re.IGNORECASE)


def canary_event(payload: dict[str, Any], hints: Hints) -> list[Event]:
    """Events for one Flagger event webhook."""
    if payload.get("type") not in (None, "", "event"):
        return []
    name = require(payload, "name")
    namespace = payload.get("namespace") or "default"
    metadata = payload.get("metadata") or {}
    message = str(metadata.get("eventMessage") or "")
    at = from_millis(metadata["timestamp"], "metadata.timestamp") if metadata.get("timestamp") else None
    revision = payload.get("checksum") or "current"
    fields: dict[str, Any] = {
        "service": service_name(hints, name),
        "environment": environment_name(hints.environment or namespace),
        "external_id": f"{namespace}/{name}/{revision}",
        "at": at or hints.received_at.isoformat(),
        "commit": commit_sha(hints.commit, metadata.get("commit"), metadata.get("sha")),
    }
    phase = payload.get("phase")
    if _ROLLBACK_RE.match(message) or phase == "Failed":
        return [Event("deployment_progress", fields | {"outcome": "rolled_back", "analysis": message[:500]})]
    if _SUCCESS_RE.match(message) or phase == "Succeeded":
        return [Event("deployment_progress", fields | {"outcome": "success"})]
    weight = _WEIGHT_RE.search(message)
    if weight:
        return [Event("deployment_progress", fields | {"step_weight": int(weight.group(1))})]
    if _HALT_RE.match(message):
        return [Event("deployment_progress", fields | {"analysis": message[:500]})]
    return [Event("deployment_progress", fields)]
