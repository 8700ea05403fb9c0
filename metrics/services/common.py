"""What every event write shares: refusals, the KEEP marker, validation, idempotent upsert and audit.

Each ``*_record`` is idempotent on the client's ``external_id`` within a service: the first post creates,
a re-post with other values updates (and is audited), the same values change nothing. Fields a re-post
leaves out (``KEEP``) keep their stored value. Derived figures are recomputed in the same transaction.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, models, transaction

from ledger.services import ledger_append
from metrics.derive import metrics_recompute
from releases.models import Environment, Service
from releases.services import environment_get_or_create

SHA_RE = re.compile(r"^[0-9a-f]{40}$")


class Keep(enum.Enum):
    """The caller did not send the field: keep what is stored."""

    KEEP = "keep"


KEEP = Keep.KEEP


class EventError(Exception):
    """An event refused with an HTTP status, the field at fault and a message a person can act on."""

    def __init__(self, status: int, message: str, field: str = ""):
        self.status = status
        self.field = field
        self.message = f"{field}: {message}" if field else message
        super().__init__(self.message)


def aware(value: datetime | None, field: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise EventError(422, "must be ISO 8601 with a UTC offset (e.g. 2025-01-31T12:00:00Z)", field)


def sha_checked(value: str, field: str) -> str:
    value = (value or "").lower()
    if not SHA_RE.match(value):
        raise EventError(422, f"must be a full 40-character hex commit SHA, got {value[:60]!r}", field)
    return value


def external_id_checked(value: str) -> str:
    if not value or len(value) > 200:
        raise EventError(422, "must be 1-200 characters", "external_id")
    return value


def environment_checked(name: str, actor: str) -> Environment:
    try:
        validate_slug(name)
    except ValidationError:
        raise EventError(422, f"must be a slug (letters, digits, - and _), got {name[:60]!r}", "environment") from None
    if len(name) > 50:
        raise EventError(422, "must be at most 50 characters", "environment")
    return environment_get_or_create(name=name, actor=actor)


def _save_changes(row: models.Model, values: dict[str, Any]) -> list[str]:
    changed = sorted(key for key, value in values.items() if getattr(row, key) != value)
    for key in changed:
        setattr(row, key, values[key])
    if changed:
        row.save()
    return changed


def upsert(model: type[models.Model], *, service: Service, external_id: str, values: dict[str, Any]):
    """``(row, created, changed fields, row before the change)`` for a lookup on service + external_id."""
    row = model.objects.select_for_update().filter(service=service, external_id=external_id).first()
    if row is None:
        try:
            with transaction.atomic():
                return model.objects.create(service=service, external_id=external_id, **values), True, [], None
        except IntegrityError:  # created meanwhile by a concurrent request
            row = model.objects.select_for_update().get(service=service, external_id=external_id)
    before = model.objects.get(pk=row.pk)
    return row, False, _save_changes(row, values), before


def outcome_of(created: bool, changed: list[str]) -> str:
    return "created" if created else ("updated" if changed else "unchanged")


def audit(action: str, row: models.Model, created: bool, changed: list[str], actor: str, data: dict) -> None:
    if created or changed:
        ledger_append(
            actor=actor,
            action=f"{action}.{'recorded' if created else 'updated'}",
            subject_type=action,
            subject_id=f"{row.service.slug}/{row.external_id}",
            data=data | ({"changed": changed} if changed else {}),
        )


def _earliest(*values: datetime | None) -> datetime | None:
    present = [value for value in values if value is not None]
    return min(present) if present else None


def recompute(rows: Sequence[models.Model | None], *times: datetime | None) -> None:
    since = _earliest(*times)
    for pair in {(row.service_id, row.environment_id) for row in rows if row is not None}:
        metrics_recompute(service_id=pair[0], environment_id=pair[1], since=since)
