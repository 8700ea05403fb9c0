"""The delivery-metrics API: events in (deployments, incidents, flag flips, gate runs, native webhooks), DORA out."""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import APIKeyQuery

from access.auth import ReadSessionAuth, TokenAuth, request_actor
from access.models import ApiToken
from access.scope import audit_scope
from access.services import api_token_authenticate
from metrics.adapters.base import Hints
from metrics.adapters.registry import ADAPTERS
from metrics.dashboard import trend_bucket
from metrics.dora import BUCKETS, DEFAULT_WINDOW, DRILLDOWN, dora_metrics, dora_rows, dora_trend, lead_time_breakdown
from metrics.flakiness import gate_flakiness, junit_test_flakiness, quarantine_list
from metrics.intake import event_delivery_receive, event_record, event_service
from metrics.schemas import DeploymentIn, EventOut, FlagFlipIn, GateRunIn, IncidentIn, Refusal
from metrics.selectors import ci_queue_time, gate_counts
from metrics.services import EventError
from releases.models import Environment

router = Router(tags=["metrics"])

# Native webhooks are small; GitHub's (up to 25 MB) come through /hooks/github instead.
MAX_EVENT_BODY_BYTES = 1024 * 1024
_REFUSALS = {400: Refusal, 403: Refusal, 404: Refusal, 413: Refusal, 422: Refusal}


class QueryTokenAuth(APIKeyQuery):
    """``?token=``: for senders that cannot set an Authorization header (LaunchDarkly, Flagger)."""

    param_name = "token"
    openapi_description = "An API token (scope events) in the query string, for webhooks that cannot set headers."

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiToken | None:
        found = api_token_authenticate(key or "")
        if found is not None:
            request.api_token = found  # type: ignore[attr-defined]
        return found


def _post(request: HttpRequest, kind: str, payload: Schema):
    try:
        result = event_record(kind, payload, token=request.auth, actor=request_actor(request), source="api")
    except EventError as exc:
        return Status(exc.status, {"detail": exc.message})
    return Status(201 if result["outcome"] == "created" else 200, result)


_EVENT_RESPONSES = {200: EventOut, 201: EventOut, **_REFUSALS}


@router.post(
    "/deployments",
    auth=TokenAuth(),
    response=_EVENT_RESPONSES,
    summary="Record a deployment (idempotent on service + external_id: 201, then 200)",
)
def deployment_post(request: HttpRequest, payload: DeploymentIn):
    return _post(request, "deployment", payload)


@router.post(
    "/incidents",
    auth=TokenAuth(),
    response=_EVENT_RESPONSES,
    summary="Record an incident; re-post the same external_id to update or resolve it",
)
def incident_post(request: HttpRequest, payload: IncidentIn):
    return _post(request, "incident", payload)


@router.post("/flag-flips", auth=TokenAuth(), response=_EVENT_RESPONSES, summary="Record a feature-flag flip")
def flag_flip_post(request: HttpRequest, payload: FlagFlipIn):
    return _post(request, "flag_flip", payload)


@router.post("/gate-runs", auth=TokenAuth(), response=_EVENT_RESPONSES, summary="Record one run of a CI gate")
def gate_run_post(request: HttpRequest, payload: GateRunIn):
    return _post(request, "gate_run", payload)


class DeliveryOut(Schema):
    delivery: int
    source: str
    status: str
    results: list[EventOut] = []
    note: str = ""


class DeliveryRefusal(Refusal):
    delivery: int | None = None


@router.post(
    "/events/{source}",
    auth=[TokenAuth(), QueryTokenAuth()],
    response={
        200: DeliveryOut,
        202: DeliveryOut,
        400: DeliveryRefusal,
        403: DeliveryRefusal,
        404: DeliveryRefusal,
        413: Refusal,
        422: DeliveryRefusal,
    },
    summary=f"A native webhook: {', '.join(ADAPTERS)} (stored before it is used)",
)
def event_webhook(request: HttpRequest, source: str, service: str = "", environment: str = "", commit: str = ""):
    if source not in ADAPTERS:
        return Status(404, {"detail": f"no adapter for {source!r}; adapters: {', '.join(ADAPTERS)}"})
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = b"" if declared > MAX_EVENT_BODY_BYTES else request.read(MAX_EVENT_BODY_BYTES + 1)
    if declared > MAX_EVENT_BODY_BYTES or len(body) > MAX_EVENT_BODY_BYTES:
        return Status(413, {"detail": f"the body is larger than {MAX_EVENT_BODY_BYTES} bytes"})
    hints = Hints(received_at=timezone.now(), service=service, environment=environment, commit=commit)
    result = event_delivery_receive(
        source=source, body=body, hints=hints, token=request.auth, actor=request_actor(request)
    )
    return Status(result.status, result.body)


# --- DORA out ---------------------------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # a bare date or time is UTC
    return value


def _window(request: HttpRequest, service: str, environment: str, start: datetime | None, end: datetime | None):
    token = getattr(request, "api_token", None)
    try:
        found = event_service(service, token)
    except EventError as exc:
        raise HttpError(exc.status, exc.message) from None
    env = Environment.objects.filter(name=environment).first()
    if env is None:
        raise HttpError(404, f"unknown environment {environment!r}")
    end = _utc(end) or timezone.now()
    start = _utc(start) or end - DEFAULT_WINDOW
    if start >= end:
        raise HttpError(422, "from: must be before to")
    return found, env, start, end


_READ_AUTH = [TokenAuth(), ReadSessionAuth()]
_FROM = Query(None, alias="from", description="ISO 8601 start (inclusive); default: `to` minus 30 days")
_TO = Query(None, alias="to", description="ISO 8601 end (exclusive); default: now")


@router.get(
    "/metrics/dora",
    auth=_READ_AUTH,
    response={200: dict, **_REFUSALS},
    summary="DORA metrics of a service and environment over [from, to)",
)
def dora_get(
    request: HttpRequest,
    service: str,
    environment: str,
    start: datetime | None = _FROM,
    end: datetime | None = _TO,
    breakdown: bool = False,
):
    found, env, start, end = _window(request, service, environment, start, end)
    figures = dora_metrics(service=found, environment=env, start=start, end=end)
    if breakdown:  # a second pass over the changes, their PRs and reviews: on request, not by default
        figures["lead_time_breakdown_s"] = lead_time_breakdown(service=found, environment=env, start=start, end=end)
    return figures


@router.get(
    "/metrics/dora/rows",
    auth=_READ_AUTH,
    response={200: dict, **_REFUSALS},
    summary=f"The rows behind a DORA figure ({', '.join(DRILLDOWN)}) and the rule for each",
)
def dora_rows_get(
    request: HttpRequest,
    service: str,
    environment: str,
    metric: str,
    start: datetime | None = _FROM,
    end: datetime | None = _TO,
    limit: int = 100,
    offset: int = 0,
):
    if metric not in DRILLDOWN:
        raise HttpError(422, f"metric: must be one of {', '.join(DRILLDOWN)}")
    if not 1 <= limit <= 1000 or offset < 0:
        raise HttpError(422, "limit: must be 1-1000 (and offset >= 0)")
    found, env, start, end = _window(request, service, environment, start, end)
    rows = dora_rows(service=found, environment=env, start=start, end=end, metric=metric)
    return {
        "metric": metric,
        "count": rows.count(),
        "limit": limit,
        "offset": offset,
        "rows": list(rows[offset : offset + limit]),
    }


def _in_scope(request: HttpRequest, service) -> None:
    # An auditor's session reads only the services of their grant (tokens carry their own service list).
    if audit_scope(request.user) is not None and not audit_scope(request.user).covers(service_id=service.pk):
        raise HttpError(403, "outside your audit grant")


def _service_window(request: HttpRequest, service: str, start: datetime | None, end: datetime | None):
    token = getattr(request, "api_token", None)
    try:
        found = event_service(service, token)
    except EventError as exc:
        raise HttpError(exc.status, exc.message) from None
    _in_scope(request, found)
    end = _utc(end) or timezone.now()
    start = _utc(start) or end - DEFAULT_WINDOW
    if start >= end:
        raise HttpError(422, "from: must be before to")
    return found, start, end


@router.get(
    "/metrics/trend",
    auth=_READ_AUTH,
    response={200: dict, **_REFUSALS},
    summary="The dashboard's DORA trend: per day/week/month deployments, failures, median lead time and recovery",
)
def trend_get(
    request: HttpRequest,
    service: str,
    environment: str,
    start: datetime | None = _FROM,
    end: datetime | None = _TO,
    bucket: str = "",
):
    found, env, start, end = _window(request, service, environment, start, end)
    _in_scope(request, found)
    bucket = bucket or trend_bucket(start, end)
    if bucket not in BUCKETS:
        raise HttpError(422, f"bucket: must be one of {', '.join(BUCKETS)}")
    rows = dora_trend(service=found, environment=env, start=start, end=end, bucket=bucket)
    return {"service": found.slug, "environment": env.name, "from": start, "to": end, "bucket": bucket, "rows": rows}


@router.get(
    "/metrics/gates",
    auth=_READ_AUTH,
    response={200: dict, **_REFUSALS},
    summary="Gate pass/fail counts per gate and day/week/month, and CI queue time",
)
def gates_get(
    request: HttpRequest, service: str, start: datetime | None = _FROM, end: datetime | None = _TO, bucket: str = ""
):
    found, start, end = _service_window(request, service, start, end)
    bucket = bucket or trend_bucket(start, end)
    if bucket not in BUCKETS:
        raise HttpError(422, f"bucket: must be one of {', '.join(BUCKETS)}")
    return {
        "service": found.slug,
        "from": start,
        "to": end,
        "bucket": bucket,
        "rows": gate_counts(service=found, start=start, end=end, bucket=bucket),
        "ci_queue_time_s": ci_queue_time(service=found, start=start, end=end),
    }


@router.get(
    "/metrics/flakiness",
    auth=_READ_AUTH,
    response={200: dict, **_REFUSALS},
    summary="The flaky-gate board: gates and JUnit tests (flaky, broken, flip and pass-on-retry rates), quarantines",
)
def flakiness_get(request: HttpRequest, service: str, start: datetime | None = _FROM, end: datetime | None = _TO):
    found, start, end = _service_window(request, service, start, end)
    return {
        "service": found.slug,
        "from": start,
        "to": end,
        "gates": gate_flakiness(service=found, start=start, end=end),
        "tests": junit_test_flakiness(service=found, start=start, end=end),
        "quarantines": quarantine_list(found),
    }
