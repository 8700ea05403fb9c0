"""PagerDuty v3 webhooks (``{"event": {"event_type": "incident.*", "occurred_at", "data": <incident>}}``).

Every ``incident.*`` event upserts the incident ``data.id``: opened (and detected) at ``data.created_at``,
severity the priority's name (else the urgency), title ``data.title``. ``incident.resolved`` sets
``resolved_at`` to the event's ``occurred_at``; ``incident.reopened`` clears it; the others leave it as it
is. A resolution that arrives before its trigger still records the incident. ``pagey.ping`` and non-incident
events are not incidents. The service is ``?service=``; the environment ``?environment=``, default production.
"""

from __future__ import annotations

from typing import Any

from metrics.adapters.base import Event, Hints, dig, environment_name, iso, require, service_name

DEFAULT_ENVIRONMENT = "production"


def incident_event(payload: dict[str, Any], hints: Hints) -> list[Event]:
    """Events for one PagerDuty v3 webhook."""
    event = require(payload, "event")
    event_type = str(event.get("event_type") or "")
    if not event_type.startswith("incident.") or event.get("resource_type") not in (None, "incident"):
        return []
    data = require(event, "data")
    fields: dict[str, Any] = {
        "service": service_name(hints),
        "environment": environment_name(hints.environment or DEFAULT_ENVIRONMENT),
        "external_id": f"pagerduty-{require(data, 'id')}",
        "opened_at": iso(require(data, "created_at"), "event.data.created_at"),
        "severity": str(dig(data, "priority", "summary") or data.get("urgency") or "")[:50],
        "title": str(data.get("title") or "")[:500],
    }
    if event_type == "incident.resolved":
        fields["resolved_at"] = iso(require(event, "occurred_at"), "event.occurred_at")
    elif event_type == "incident.reopened":
        fields["resolved_at"] = None
    return [Event("incident", fields)]
