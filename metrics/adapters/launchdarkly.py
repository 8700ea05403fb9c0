"""LaunchDarkly webhooks (the audit-log entry LaunchDarkly posts for every change).

A flag turned on or off in an environment (an ``accesses`` action ``updateOn`` on
``proj/<p>:env/<env>:flag/<key>``) is a flag flip at ``date``, one per environment, id ``<_id>:<env>``;
its state after the change is ``currentVersion.environments.<env>.on``. It is a **kill switch** when it
turned the flag off and either the change's comment (or its title/description) reads as urgent (kill,
kill switch, emergency, urgent, incident, outage, rollback, hotfix, sev<N>, P0/P1) or the flag carries a
tag ``kill-switch``/``killswitch``/``emergency``/``urgent``. Other changes (targeting, rules, flag
creation) are not flips. The service is ``?service=``; the environment ``?environment=``, else LD's key.
"""

from __future__ import annotations

from typing import Any

from metrics.adapters.base import (
    AdapterError,
    Event,
    Hints,
    dig,
    environment_name,
    from_millis,
    has_kill_switch_tag,
    is_urgent,
    require,
    service_name,
)


def _resource(resource: str) -> tuple[str, str] | None:
    """``proj/default:env/production:flag/checkout`` -> ("production", "checkout")."""
    parts = dict(part.split("/", 1) for part in resource.split(":") if "/" in part)
    if "env" in parts and "flag" in parts:
        return parts["env"], parts["flag"]
    return None


def flag_change(payload: dict[str, Any], hints: Hints) -> list[Event]:
    """Events for one LaunchDarkly webhook: a flag flip per environment whose on/off state changed."""
    if payload.get("kind") != "flag":
        return []
    entry_id = require(payload, "_id")
    flipped_at = from_millis(require(payload, "date"), "date")
    comment = str(payload.get("comment") or "")
    tags = dig(payload, "currentVersion", "tags", default=[])
    events = []
    for access in payload.get("accesses") or []:
        if not isinstance(access, dict) or access.get("action") != "updateOn":
            continue
        target = _resource(str(access.get("resource") or ""))
        if target is None:
            raise AdapterError(f"accesses[].resource is not a flag resource: {str(access.get('resource'))[:80]!r}")
        ld_environment, flag_key = target
        enabled = dig(payload, "currentVersion", "environments", ld_environment, "on")
        enabled = enabled if isinstance(enabled, bool) else None
        urgent = is_urgent(comment, payload.get("title"), payload.get("description")) or has_kill_switch_tag(tags)
        events.append(
            Event(
                "flag_flip",
                {
                    "service": service_name(hints),
                    "environment": environment_name(hints.environment or ld_environment),
                    "external_id": f"{entry_id}:{ld_environment}"[:200],
                    "flag_key": flag_key,
                    "flipped_at": flipped_at,
                    "enabled": enabled,
                    "kill_switch": enabled is False and urgent,
                    "comment": comment[:5000],
                },
            )
        )
    return events
