"""What every adapter shares: the hints from the webhook URL, the events it returns, and small parsers.

An adapter is a plain function ``(payload, hints) -> list[Event]``: no database, no Django models. The
events are contract-shaped dicts (the JSON of ``POST /api/v1/deployments`` and friends) that
``metrics.intake`` validates and records through the same services as the API. An empty list means the
body was understood but carries nothing Gatehouse measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from django.utils.text import slugify

EventKind = Literal["deployment", "deployment_progress", "incident", "flag_flip", "gate_run"]
SHA_RE = re.compile(r"^[0-9a-fA-F]{40}$")
# A flip is a kill switch when it turns a flag off and its comment, reason or tags say it is urgent.
URGENT_RE = re.compile(
    r"kill[-_ ]?switch|\bkill\b|emergency|urgent|incident|outage|rollback|roll back|hotfix|\bsev[ -]?[0-9]\b|\bp[01]\b",
    re.IGNORECASE,
)
KILL_SWITCH_TAGS = {"kill-switch", "killswitch", "kill_switch", "kill switch", "emergency", "urgent"}


class AdapterError(Exception):
    """The body cannot be turned into events; the message names what is missing (answered as 422)."""


@dataclass(frozen=True)
class Hints:
    """What the webhook URL says (``?service=&environment=&commit=``) and when the body arrived."""

    received_at: datetime
    service: str = ""
    environment: str = ""
    commit: str = ""


@dataclass(frozen=True)
class Event:
    kind: EventKind
    fields: dict[str, Any] = field(default_factory=dict)


def require(mapping: Any, *path: str) -> Any:
    """``mapping[path[0]][path[1]]...``, or AdapterError naming the missing key."""
    value = mapping
    for depth, key in enumerate(path):
        if not isinstance(value, dict) or value.get(key) in (None, ""):
            raise AdapterError(f"the body has no {'.'.join(path[: depth + 1])}")
        value = value[key]
    return value


def dig(mapping: Any, *path: str, default: Any = None) -> Any:
    value = mapping
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value if value is not None else default


def iso(value: Any, what: str) -> str:
    """An ISO 8601 timestamp with an offset; bare ones are UTC (every product here sends UTC)."""
    if not isinstance(value, str) or not value:
        raise AdapterError(f"{what} is not a timestamp")
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AdapterError(f"{what} is not an ISO 8601 timestamp: {value[:40]!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def from_millis(value: Any, what: str) -> str:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError):
        raise AdapterError(f"{what} is not a millisecond timestamp: {str(value)[:40]!r}") from None


def environment_name(value: str) -> str:
    name = slugify(value or "")[:50]
    if not name:
        raise AdapterError("no environment: name it in the body or add ?environment= to the webhook URL")
    return name


def service_name(hints: Hints, *candidates: Any) -> str:
    for candidate in (hints.service, *candidates):
        if isinstance(candidate, str) and candidate:
            return candidate
    raise AdapterError("no service: add ?service=<slug> to the webhook URL")


def commit_sha(*candidates: Any) -> str | None:
    """The first candidate that is a full 40-hex SHA (lowercased); image tags often are."""
    for candidate in candidates:
        if isinstance(candidate, str) and SHA_RE.match(candidate):
            return candidate.lower()
    return None


def is_urgent(*texts: Any) -> bool:
    return any(isinstance(text, str) and URGENT_RE.search(text) for text in texts)


def has_kill_switch_tag(tags: Any) -> bool:
    values: list[str] = []
    for tag in tags or []:
        if isinstance(tag, str):
            values.append(tag)
        elif isinstance(tag, dict):
            values += [str(tag.get("value") or ""), str(tag.get("type") or ""), str(tag.get("name") or "")]
    return any(value.strip().lower() in KILL_SWITCH_TAGS for value in values)
