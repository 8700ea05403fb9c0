"""Writes for incidents and feature-flag flips."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from metrics.derive import lock_service
from metrics.models import Deployment, FlagFlip, Incident, Source
from metrics.services.common import (
    KEEP,
    EventError,
    Keep,
    audit,
    aware,
    environment_checked,
    external_id_checked,
    outcome_of,
    recompute,
    sha_checked,
    upsert,
)
from releases.models import Service


@transaction.atomic
def incident_record(
    *,
    service: Service,
    environment: str,
    external_id: str,
    opened_at: datetime,
    detected_at: datetime | Keep | None = KEEP,
    resolved_at: datetime | Keep | None = KEEP,
    severity: str | Keep = KEEP,
    title: str | Keep = KEEP,
    caused_by_deployment: str | Keep = KEEP,
    caused_by_commit: str | Keep = KEEP,
    source: str = Source.API,
    actor: str,
) -> tuple[Incident, str]:
    """Record an incident (re-posting resolves or corrects it) and re-attribute the failures it touches."""
    external_id = external_id_checked(external_id)
    lock_service(service.pk)
    existing = Incident.objects.filter(service=service, external_id=external_id).first()

    def value(given: Any, stored: str, default: Any) -> Any:
        if not isinstance(given, Keep):
            return given
        return getattr(existing, stored) if existing is not None else default

    detected = value(detected_at, "detected_at", None) or opened_at
    resolved = value(resolved_at, "resolved_at", None)
    for field, moment in (("opened_at", opened_at), ("detected_at", detected), ("resolved_at", resolved)):
        aware(moment, field)
    if detected < opened_at:
        raise EventError(422, "is before opened_at", "detected_at")
    if resolved is not None and resolved < detected:
        raise EventError(422, "is before detected_at (or opened_at)", "resolved_at")
    commit = value(caused_by_commit, "caused_by_commit", "")
    commit = sha_checked(commit, "caused_by_commit") if commit else ""
    ref = value(caused_by_deployment, "caused_by_deployment_ref", "")
    if len(ref) > 200:
        raise EventError(422, "must be at most 200 characters", "caused_by_deployment")
    severity_value, title_value = value(severity, "severity", ""), value(title, "title", "")
    if len(severity_value) > 50:
        raise EventError(422, "must be at most 50 characters", "severity")
    env = environment_checked(environment, actor)
    values = {
        "environment": env,
        "opened_at": opened_at,
        "detected_at": detected,
        "resolved_at": resolved,
        "severity": severity_value,
        "title": title_value[:500],
        "caused_by_commit": commit,
        "caused_by_deployment_ref": ref,
        "caused_by_deployment": Deployment.objects.filter(service=service, external_id=ref).first() if ref else None,
        "source": source,
    }
    incident, created, changed, before = upsert(Incident, service=service, external_id=external_id, values=values)
    audit(
        "incident",
        incident,
        created,
        changed,
        actor,
        {
            "environment": env.name,
            "opened_at": opened_at.isoformat(),
            "resolved_at": resolved.isoformat() if resolved else None,
        },
    )
    if created or changed:
        recompute([incident, before], incident.opened_at, *((before.opened_at,) if before else ()))
        incident.refresh_from_db()
    return incident, outcome_of(created, changed)


@transaction.atomic
def flag_flip_record(
    *,
    service: Service,
    environment: str,
    external_id: str,
    flag_key: str,
    flipped_at: datetime,
    kill_switch: bool = False,
    enabled: bool | None = None,
    comment: str = "",
    source: str = Source.API,
    actor: str,
) -> tuple[FlagFlip, str]:
    """Record a feature-flag change; a kill switch can end a failed deployment's recovery time."""
    external_id = external_id_checked(external_id)
    if not flag_key or len(flag_key) > 300:
        raise EventError(422, "must be 1-300 characters", "flag_key")
    aware(flipped_at, "flipped_at")
    lock_service(service.pk)
    env = environment_checked(environment, actor)
    values = {
        "environment": env,
        "flag_key": flag_key,
        "flipped_at": flipped_at,
        "kill_switch": kill_switch,
        "enabled": enabled,
        "comment": comment,
        "source": source,
    }
    flip, created, changed, before = upsert(FlagFlip, service=service, external_id=external_id, values=values)
    audit(
        "flag_flip",
        flip,
        created,
        changed,
        actor,
        {"environment": env.name, "flag": flag_key, "kill_switch": kill_switch},
    )
    if created or changed:
        recompute([flip, before], flip.flipped_at, *((before.flipped_at,) if before else ()))
    return flip, outcome_of(created, changed)
