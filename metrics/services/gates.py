"""Writes for gate runs and gate quarantines."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ledger.services import ledger_append
from metrics.models import GateQuarantine, GateRun, Source
from metrics.services.common import EventError, audit, aware, external_id_checked, outcome_of, sha_checked, upsert
from releases.models import Service


@transaction.atomic
def gate_run_record(
    *,
    service: Service,
    external_id: str,
    gate: str,
    sha: str,
    status: str,
    started_at: datetime,
    duration_s: float = 0,
    attempt: int = 1,
    run_id: str = "",
    queue_s: float | None = None,
    source: str = Source.API,
    actor: str,
) -> tuple[GateRun, str]:
    """Record one run of a CI gate on a commit (the history flakiness and gate counts are read from)."""
    external_id = external_id_checked(external_id)
    if not gate or len(gate) > 300:
        raise EventError(422, "must be 1-300 characters", "gate")
    if status not in GateRun.Status.values:
        raise EventError(422, "must be pass or fail", "status")
    if attempt < 1:
        raise EventError(422, "must be 1 or more", "attempt")
    if duration_s < 0 or (queue_s is not None and queue_s < 0):
        raise EventError(422, "must not be negative", "duration_s" if duration_s < 0 else "queue_s")
    if len(run_id) > 200:
        raise EventError(422, "must be at most 200 characters", "run_id")
    aware(started_at, "started_at")
    values = {
        "gate": gate,
        "sha": sha_checked(sha, "sha"),
        "status": status,
        "started_at": started_at,
        "duration_s": float(duration_s),
        "attempt": attempt,
        "run_id": run_id,
        "queue_s": None if queue_s is None else float(queue_s),
        "source": source,
    }
    run, created, changed, _before = upsert(GateRun, service=service, external_id=external_id, values=values)
    audit("gate_run", run, created, changed, actor, {"gate": gate, "sha": values["sha"], "status": status})
    return run, outcome_of(created, changed)


@transaction.atomic
def quarantine_create(
    *, service: Service, gate: str, owner: str, reason: str, expires_at: datetime, actor: str
) -> GateQuarantine:
    """Quarantine a gate until ``expires_at``: it keeps running and recording, but does not block a release.

    A gate has at most one active quarantine: quarantining it again replaces the owner, reason and expiry.
    """
    now = timezone.now()
    for field, text, limit in (("gate", gate, 300), ("owner", owner, 200), ("reason", reason, 5000)):
        if not text.strip() or len(text) > limit:
            raise EventError(422, f"must be 1-{limit} characters", field)
    aware(expires_at, "expires_at")
    if expires_at <= now:
        raise EventError(422, "must be in the future", "expires_at")
    active = (
        GateQuarantine.objects.select_for_update()
        .filter(service=service, gate=gate, lifted_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if active is not None:
        active.owner, active.reason, active.expires_at = owner, reason, expires_at
        active.save(update_fields=["owner", "reason", "expires_at"])
        quarantine, action = active, "quarantine.extended"
    else:
        quarantine = GateQuarantine.objects.create(
            service=service, gate=gate, owner=owner, reason=reason, expires_at=expires_at, created_by=actor
        )
        action = "quarantine.created"
    ledger_append(
        actor=actor,
        action=action,
        subject_type="gate_quarantine",
        subject_id=quarantine.pk,
        data={
            "service": service.slug,
            "gate": gate,
            "owner": owner,
            "reason": reason,
            "expires_at": expires_at.isoformat(),
        },
    )
    return quarantine


@transaction.atomic
def quarantine_expire(*, quarantine: GateQuarantine, actor: str) -> GateQuarantine:
    """End a quarantine now (before its expiry): the gate's failures block releases again."""
    quarantine = GateQuarantine.objects.select_for_update().get(pk=quarantine.pk)
    now = timezone.now()
    if quarantine.lifted_at is None and quarantine.expires_at > now:
        quarantine.lifted_at, quarantine.lifted_by = now, actor
        quarantine.save(update_fields=["lifted_at", "lifted_by"])
        ledger_append(
            actor=actor,
            action="quarantine.lifted",
            subject_type="gate_quarantine",
            subject_id=quarantine.pk,
            data={"service": quarantine.service.slug, "gate": quarantine.gate},
        )
    return quarantine


@transaction.atomic
def quarantines_record_expired(*, now: datetime | None = None) -> int:
    """Record in the ledger, once each, the quarantines whose expiry has passed; returns how many."""
    now = now or timezone.now()
    due = list(
        GateQuarantine.objects.select_for_update(skip_locked=True)
        .select_related("service")
        .filter(lifted_at__isnull=True, expiry_recorded_at__isnull=True, expires_at__lte=now)
    )
    for quarantine in due:
        quarantine.expiry_recorded_at = now
        quarantine.save(update_fields=["expiry_recorded_at"])
        ledger_append(
            actor="system",
            action="quarantine.expired",
            subject_type="gate_quarantine",
            subject_id=quarantine.pk,
            data={"service": quarantine.service.slug, "gate": quarantine.gate, "owner": quarantine.owner},
        )
    return len(due)
