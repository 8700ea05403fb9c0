"""GitHub webhooks: verify, store, then dispatch to a handler registered for the event.

A delivery is stored before it is processed, so a handler that fails loses nothing: the error is kept
on the row and ``manage.py github_webhook_replay`` runs it again. GitHub always gets a quick 2xx for a
genuine delivery (it would otherwise retry-storm us); only forged or malformed requests are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from releases.github.payloads import (
    check_run_from_json,
    check_suite_from_json,
    commit_from_push_json,
    pull_request_from_json,
    review_from_json,
)
from releases.github.records import (
    check_run_upsert,
    commit_upsert,
    pull_request_ensure,
    pull_request_upsert,
    review_upsert,
)
from releases.models import CheckRun, Service, WebhookDelivery

logger = logging.getLogger(__name__)

ACTOR = "github-webhook"
# GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub.
MAX_BODY_BYTES = 25 * 1024 * 1024

Handler = Callable[[WebhookDelivery, Service], None]

# event name -> handler(delivery, service). Other apps add theirs with register_handler() from their
# AppConfig.ready(), so this module never imports them (releases sits below metrics).
EVENT_HANDLERS: dict[str, Handler] = {}


def register_handler(event: str, handler: Handler) -> None:
    """Route ``event`` deliveries to ``handler``; registering a second, different handler is an error."""
    current = EVENT_HANDLERS.get(event)
    if current is not None and current is not handler:
        raise ValueError(f"a handler for GitHub event {event!r} is already registered: {current!r}")
    EVENT_HANDLERS[event] = handler


def signature_valid(*, secret: str, body: bytes, signature: str) -> bool:
    """X-Hub-Signature-256: ``sha256=`` + hex HMAC-SHA256 of the raw body, compared in constant time."""
    if not secret or not signature.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@dataclass(frozen=True)
class WebhookResult:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _decode(body: bytes, content_type: str) -> dict[str, Any]:
    # A hook may be configured to send application/x-www-form-urlencoded: the JSON is in `payload`.
    if content_type.startswith("application/x-www-form-urlencoded"):
        body = parse_qs(body.decode(), max_num_fields=10).get("payload", [""])[0].encode()
    payload = json.loads(body)
    if not isinstance(payload, dict):
        raise ValueError("the payload is not a JSON object")
    return payload


def webhook_receive(
    *, event: str, delivery_id: str, signature: str, body: bytes, content_type: str = "application/json"
) -> WebhookResult:
    """Verify a delivery, store it once (a repeated delivery id changes nothing), then process it."""
    secret = settings.GITHUB_WEBHOOK_SECRET
    if not secret:
        return WebhookResult(401, {"error": "webhooks are not accepted: GITHUB_WEBHOOK_SECRET is not set"})
    if not signature_valid(secret=secret, body=body, signature=signature):
        return WebhookResult(401, {"error": "missing or invalid X-Hub-Signature-256"})
    if not event or not delivery_id or len(delivery_id) > 100 or len(event) > 50:
        return WebhookResult(400, {"error": "X-GitHub-Event and X-GitHub-Delivery are required"})
    try:
        payload = _decode(body, content_type)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return WebhookResult(400, {"error": f"the body is not a JSON object: {exc}"})
    action = str(payload.get("action") or "")[:50]
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                delivery_id=delivery_id, event=event, action=action, payload=payload
            )
    except IntegrityError:
        return WebhookResult(200, {"status": "duplicate", "delivery": delivery_id})
    outcome = webhook_process(delivery=delivery)
    status = 200 if outcome in ("processed", "pong") else 202
    body_out = {"status": "stored" if outcome == "ignored" else outcome, "delivery": delivery_id}
    if outcome == "ignored":
        body_out["note"] = delivery.error
    return WebhookResult(status, body_out)


def _services(payload: dict[str, Any]) -> tuple[str, list[Service]]:
    repository = str((payload.get("repository") or {}).get("full_name") or "")
    if not repository:
        return "", []
    return repository, list(Service.objects.filter(repository__iexact=repository).order_by("slug"))


def webhook_process(*, delivery: WebhookDelivery) -> str:
    """Run the delivery's handler for every service on its repository.

    Returns "pong", "processed", "stored" (no handler for the event), "ignored" (no service has the
    repository: noted in ``error``) or "failed" (the handler raised: the error is kept for a replay).
    """
    if delivery.event == "ping":
        _mark_processed(delivery)
        return "pong"
    handler = EVENT_HANDLERS.get(delivery.event)
    if handler is None:
        return "stored"
    repository, services = _services(delivery.payload)
    if not services:
        delivery.error = f"ignored: no service has repository {repository!r}"
        delivery.save(update_fields=["error"])
        return "ignored"
    try:
        with transaction.atomic():
            for service in services:
                handler(delivery, service)
            _mark_processed(delivery)
    except Exception as exc:  # a bug or bad data in one delivery must not lose it or fail the response
        logger.exception("GitHub webhook %s (%s) failed", delivery.delivery_id, delivery.event)
        delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
        delivery.processed_at = None
        delivery.save(update_fields=["error", "processed_at"])
        return "failed"
    return "processed"


def _mark_processed(delivery: WebhookDelivery) -> None:
    delivery.processed_at = timezone.now()
    delivery.error = ""
    delivery.save(update_fields=["processed_at", "error"])


def webhook_replay(*, delivery: WebhookDelivery) -> str:
    """Process a stored delivery again (after a fix, or once its service exists); same outcomes as processing."""
    return webhook_process(delivery=delivery)


# --- the handlers of this app ------------------------------------------------------------------


def _on_pull_request(delivery: WebhookDelivery, service: Service) -> None:
    # opened, edited, synchronize, closed (merged or not), labeled...: the object is always complete.
    data = pull_request_from_json(delivery.payload["pull_request"])
    pull_request_upsert(service=service, data=data, actor=ACTOR)


def _on_pull_request_review(delivery: WebhookDelivery, service: Service) -> None:
    # The review payload carries a partial pull request (no merged_by): create it if unknown, never update.
    pull_request = pull_request_ensure(
        service=service, data=pull_request_from_json(delivery.payload["pull_request"]), actor=ACTOR
    )
    review_upsert(pull_request=pull_request, data=review_from_json(delivery.payload["review"]))


def _on_push(delivery: WebhookDelivery, service: Service) -> None:
    commits = list(delivery.payload.get("commits") or [])
    head = delivery.payload.get("head_commit")
    if head and all(commit.get("id") != head.get("id") for commit in commits):
        commits.append(head)
    for commit in commits:
        commit_upsert(service=service, data=commit_from_push_json(commit))


def _on_check_run(delivery: WebhookDelivery, service: Service) -> None:
    check_run_upsert(service=service, data=check_run_from_json(delivery.payload["check_run"]))


def _on_check_suite(delivery: WebhookDelivery, service: Service) -> None:
    data = check_suite_from_json(delivery.payload["check_suite"])
    # A queued suite of an app that never runs (dependabot, say) would stay pending forever: a suite
    # gets a row once it has a verdict; after that its row follows it (a re-requested suite is pending).
    if data.status == "completed" or CheckRun.objects.filter(service=service, external_id=data.external_id).exists():
        check_run_upsert(service=service, data=data)


register_handler("pull_request", _on_pull_request)
register_handler("pull_request_review", _on_pull_request_review)
register_handler("push", _on_push)
register_handler("check_run", _on_check_run)
register_handler("check_suite", _on_check_suite)
# deployment_status and workflow_run are stored and acknowledged (202) until the metrics app registers
# its handlers; `github_webhook_replay --pending` then processes what arrived before.
