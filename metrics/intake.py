"""Events in: the one path from a validated body (the API's or an adapter's) to the recording services.

The API handlers and the native adapters both end in ``event_record``, so an event means the same
whichever way it arrives. A native webhook body is stored (``EventDelivery``) before it is used: one
that cannot be used keeps its error and can be replayed once fixed; nothing accepted is lost.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from ninja import Schema
from pydantic import ValidationError

from access.models import ApiToken, Scope
from metrics.adapters.base import AdapterError, Hints
from metrics.adapters.registry import ADAPTERS, GITHUB_ADAPTERS
from metrics.models import EventDelivery, Source
from metrics.schemas import DeploymentIn, DeploymentProgressIn, FlagFlipIn, GateRunIn, IncidentIn
from metrics.services import (
    KEEP,
    CanaryStepData,
    EventError,
    ListedCommit,
    deployment_progress_record,
    deployment_record,
    flag_flip_record,
    gate_run_record,
    incident_record,
)
from releases.models import Service, WebhookDelivery

logger = logging.getLogger(__name__)

SCHEMAS: dict[str, type[Schema]] = {
    "deployment": DeploymentIn,
    "deployment_progress": DeploymentProgressIn,
    "incident": IncidentIn,
    "flag_flip": FlagFlipIn,
    "gate_run": GateRunIn,
}


def event_service(slug: str, token: ApiToken | None) -> Service:
    """The named service, if the token (None: an already authenticated source) may post its events."""
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        raise EventError(404, f"unknown service {slug!r}; create it first (manage.py service_create)")
    if token is not None and not token.allows(scope=Scope.EVENTS, service=service):
        raise EventError(403, f"this token may not post events for service {service.slug!r} (scope events)")
    return service


def _given(payload: Schema, name: str, value: Any = None) -> Any:
    """The field's value when the body sent it (even as null), else KEEP."""
    if name not in payload.model_fields_set:
        return KEEP
    return getattr(payload, name) if value is None else value


def event_record(kind: str, payload: Schema, *, token: ApiToken | None, actor: str, source: str) -> dict[str, Any]:
    """Record one validated event; returns ``{kind, id, external_id, outcome}``."""
    service = event_service(payload.service, token)
    common = {"service": service, "external_id": payload.external_id, "source": source, "actor": actor}
    if kind == "deployment":
        row, outcome = deployment_record(
            **common,
            environment=payload.environment,
            commit_sha=payload.commit,
            started_at=payload.started_at,
            finished_at=payload.finished_at,
            status=payload.status,
            build=payload.build if payload.build is not None else KEEP,
            commits=[ListedCommit(c.sha, c.authored_at) for c in payload.commits]
            if payload.commits is not None
            else KEEP,
            canary=[
                CanaryStepData(s.weight, s.started_at, s.finished_at, s.analysis, s.aborted) for s in payload.canary
            ]
            if payload.canary is not None
            else KEEP,
        )
    elif kind == "deployment_progress":
        row, outcome = deployment_progress_record(
            **common,
            environment=payload.environment,
            at=payload.at,
            commit_sha=payload.commit,
            build=payload.build,
            step_weight=payload.step_weight,
            analysis=payload.analysis,
            outcome=payload.outcome,
        )
    elif kind == "incident":
        row, outcome = incident_record(
            **common,
            environment=payload.environment,
            opened_at=payload.opened_at,
            detected_at=_given(payload, "detected_at"),
            resolved_at=_given(payload, "resolved_at"),
            severity=_given(payload, "severity", payload.severity or ""),
            title=_given(payload, "title", payload.title or ""),
            caused_by_deployment=_given(payload, "caused_by_deployment", payload.caused_by_deployment or ""),
            caused_by_commit=_given(payload, "caused_by_commit", payload.caused_by_commit or ""),
        )
    elif kind == "flag_flip":
        row, outcome = flag_flip_record(
            **common,
            environment=payload.environment,
            flag_key=payload.flag_key,
            flipped_at=payload.flipped_at,
            kill_switch=payload.kill_switch,
            enabled=payload.enabled,
            comment=payload.comment,
        )
    elif kind == "gate_run":
        row, outcome = gate_run_record(
            **common,
            gate=payload.gate,
            run_id=payload.run_id,
            sha=payload.sha,
            attempt=payload.attempt,
            status=payload.status,
            duration_s=payload.duration_s,
            started_at=payload.started_at,
            queue_s=payload.queue_s,
        )
    else:
        raise EventError(422, f"unknown event kind {kind!r}")
    return {"kind": kind, "id": row.pk, "external_id": row.external_id, "outcome": outcome}


def _validated(kind: str, fields: dict[str, Any]) -> Schema:
    try:
        return SCHEMAS[kind].model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise EventError(422, f"the {kind} this body describes is not valid: {problems}") from None


def event_record_fields(kind: str, fields: dict[str, Any], *, token: ApiToken | None, actor: str, source: str) -> dict:
    """Validate an adapter's contract-shaped dict with the API's schema, then record it."""
    return event_record(kind, _validated(kind, fields), token=token, actor=actor, source=source)


IGNORED_NOTE = "understood, but nothing Gatehouse measures is in this event"


@dataclass(frozen=True)
class DeliveryResult:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def event_delivery_receive(
    *, source: str, body: bytes, hints: Hints, token: ApiToken | None, actor: str
) -> DeliveryResult:
    """Store a native webhook body, then use it (see ``event_delivery_process``)."""
    delivery = EventDelivery.objects.create(
        source=source,
        service_hint=hints.service[:200],
        environment_hint=hints.environment[:200],
        commit_hint=hints.commit[:40],
        body=body.decode("utf-8", errors="replace"),
        actor=actor,
    )
    return event_delivery_process(delivery=delivery, token=token)


def _finish(delivery: EventDelivery, status: str, error: str = "", results: list | None = None) -> None:
    delivery.status, delivery.error, delivery.results = status, error[:2000], results or []
    delivery.save(update_fields=["status", "error", "results", "service_hint"])


def event_delivery_process(*, delivery: EventDelivery, token: ApiToken | None = None) -> DeliveryResult:
    """Turn a stored body into events and record them all, or none (the error is kept on the delivery).

    200 processed, 202 understood but nothing to measure, 400 not a JSON object, 422 unusable content,
    403/404 as for the event API.
    """
    reference = {"delivery": delivery.pk, "source": delivery.source}
    try:
        payload = json.loads(delivery.body)
        if not isinstance(payload, dict):
            raise ValueError("the body is not a JSON object")
    except ValueError as exc:
        _finish(delivery, EventDelivery.Status.FAILED, f"not a JSON object: {exc}")
        return DeliveryResult(400, {"detail": f"the body is not a JSON object: {exc}"} | reference)
    hints = Hints(
        received_at=delivery.received_at,
        service=delivery.service_hint,
        environment=delivery.environment_hint,
        commit=delivery.commit_hint,
    )
    try:
        events = ADAPTERS[delivery.source](payload, hints)
    except AdapterError as exc:
        _finish(delivery, EventDelivery.Status.FAILED, str(exc))
        return DeliveryResult(422, {"detail": f"{delivery.source}: {exc}"} | reference)
    if not events:
        _finish(delivery, EventDelivery.Status.IGNORED, "nothing Gatehouse measures in this event")
        return DeliveryResult(
            202, {"status": "ignored", "note": "nothing Gatehouse measures in this event"} | reference
        )
    delivery.service_hint = delivery.service_hint or str(events[0].fields.get("service", ""))[:200]
    try:
        with transaction.atomic():
            results = [
                event_record_fields(
                    e.kind, e.fields, token=token, actor=delivery.actor or "replay", source=delivery.source
                )
                for e in events
            ]
    except EventError as exc:
        _finish(delivery, EventDelivery.Status.FAILED, exc.message)
        return DeliveryResult(exc.status, {"detail": exc.message} | reference)
    _finish(delivery, EventDelivery.Status.PROCESSED, results=results)
    return DeliveryResult(200, {"status": "processed", "results": results} | reference)


def event_delivery_replay(*, delivery: EventDelivery) -> DeliveryResult:
    """Use a stored body again (after a fix, or once its service exists); its token was checked when it arrived."""
    return event_delivery_process(delivery=delivery, token=None)


# --- GitHub: releases.github.webhooks verifies and stores the delivery, then calls these -------------------


def _github(delivery: WebhookDelivery, service: Service) -> None:
    adapter = GITHUB_ADAPTERS[delivery.event]
    try:
        events = adapter(delivery.payload, Hints(received_at=delivery.received_at, service=service.slug))
    except AdapterError as exc:
        raise EventError(422, f"github {delivery.event}: {exc}") from None
    for event in events:
        event_record_fields(event.kind, event.fields, token=None, actor="github-webhook", source=Source.GITHUB)


def on_deployment_status(delivery: WebhookDelivery, service: Service) -> None:
    """GitHub deployment_status: a deployment of the service (see metrics.adapters.github)."""
    _github(delivery, service)


def on_workflow_run(delivery: WebhookDelivery, service: Service) -> None:
    """GitHub workflow_run: a gate run of the workflow, with CI queue time (see metrics.adapters.github)."""
    _github(delivery, service)
