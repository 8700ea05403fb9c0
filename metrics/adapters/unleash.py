"""Unleash webhook addon (the event JSON Unleash posts by default).

``feature-environment-enabled`` / ``feature-environment-disabled`` are flag flips at ``createdAt``, id
``unleash-<id>``, in the event's ``environment``. A disable is a **kill switch** when the flag is of
Unleash's ``kill-switch`` type (``data.type``) or carries a tag whose value (or type) is ``kill-switch``,
``killswitch``, ``emergency`` or ``urgent`` (Unleash events have no comment). Other events are not flips.
The service is ``?service=``, else the Unleash project; the environment ``?environment=``, else Unleash's.
"""

from __future__ import annotations

from typing import Any

from metrics.adapters.base import Event, Hints, dig, environment_name, has_kill_switch_tag, iso, require, service_name

_FLIPS = {"feature-environment-enabled": True, "feature-environment-disabled": False}


def feature_event(payload: dict[str, Any], hints: Hints) -> list[Event]:
    """Events for one Unleash webhook."""
    enabled = _FLIPS.get(str(payload.get("type") or ""))
    if enabled is None:
        return []
    kill_type = dig(payload, "data", "type") == "kill-switch" or dig(payload, "preData", "type") == "kill-switch"
    return [
        Event(
            "flag_flip",
            {
                "service": service_name(hints, payload.get("project")),
                "environment": environment_name(hints.environment or str(require(payload, "environment"))),
                "external_id": f"unleash-{require(payload, 'id')}",
                "flag_key": str(require(payload, "featureName")),
                "flipped_at": iso(require(payload, "createdAt"), "createdAt"),
                "enabled": enabled,
                "kill_switch": not enabled and (kill_type or has_kill_switch_tag(payload.get("tags"))),
                "comment": f"by {payload.get('createdBy', 'unknown')}",
            },
        )
    ]
