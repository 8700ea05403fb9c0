"""Prometheus exposition at ``/metrics``: the dashboard's headline figures per service and environment.

A custom collector reads the selectors at scrape time (no state kept between scrapes); every figure covers
the last ``WINDOW`` (30 days), like the dashboard's default. Percentiles carry a ``quantile`` label.
Access: loopback scrapers while ``METRICS_TOKEN`` is empty; otherwise ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from metrics.dora import dora_metrics
from metrics.flakiness import gate_flakiness
from metrics.models import Deployment, GateRun, Incident
from releases.models import Environment, Service

WINDOW = timedelta(days=30)
LOOPBACK = {"127.0.0.1", "::1"}


def _pairs() -> list[tuple[Service, Environment]]:
    ids = set(Deployment.objects.values_list("service_id", "environment_id").distinct())
    ids |= set(Incident.objects.values_list("service_id", "environment_id").distinct())
    services = Service.objects.in_bulk({s for s, _ in ids})
    environments = Environment.objects.in_bulk({e for _, e in ids})
    return sorted(((services[s], environments[e]) for s, e in ids), key=lambda p: (p[0].slug, p[1].name))


class DeliveryCollector(Collector):
    """Headline delivery figures, computed by the same selectors as the dashboard, at scrape time."""

    def __init__(self, *, now: datetime | None = None):
        self.now = now

    def collect(self) -> Iterator[Metric]:
        end = self.now or timezone.now()
        start = end - WINDOW
        labels = ["service", "environment"]
        deployments = GaugeMetricFamily("gatehouse_deployments", "Deployments finished, last 30 days", labels=labels)
        failed = GaugeMetricFamily("gatehouse_failed_deployments", "Failed deployments, last 30 days", labels=labels)
        cfr = GaugeMetricFamily(
            "gatehouse_change_failure_rate", "Failed / total deployments, last 30 days (NaN: none)", labels=labels
        )
        quantiles = [*labels, "quantile"]
        lead = GaugeMetricFamily("gatehouse_lead_time_seconds", "Lead time for changes, last 30 days", labels=quantiles)
        recovery = GaugeMetricFamily(
            "gatehouse_recovery_time_seconds", "Failed-deployment recovery time, last 30 days", labels=quantiles
        )
        restore = GaugeMetricFamily(
            "gatehouse_time_to_restore_seconds", "Incident time to restore, last 30 days", labels=quantiles
        )
        samples = GaugeMetricFamily(
            "gatehouse_sample_size", "Values behind each distribution (n)", labels=[*labels, "figure"]
        )
        for service, environment in _pairs():
            figures = dora_metrics(service=service, environment=environment, start=start, end=end)
            pair = [service.slug, environment.name]
            deployments.add_metric(pair, figures["deployments"])
            failed.add_metric(pair, figures["change_failure_rate"]["failed"])
            rate = figures["change_failure_rate"]["rate"]
            cfr.add_metric(pair, float("nan") if rate is None else rate)
            for family, key, wanted in (
                (lead, "lead_time_s", ("p50", "p90")),
                (recovery, "recovery_time_s", ("p50",)),
                (restore, "time_to_restore_s", ("p50",)),
            ):
                figure = figures[key]
                samples.add_metric([*pair, key], figure["n"])
                for name in wanted:
                    if figure[name] is not None:
                        family.add_metric([*pair, {"p50": "0.5", "p90": "0.9"}[name]], figure[name])
        yield from (deployments, failed, cfr, lead, recovery, restore, samples)
        flaky = GaugeMetricFamily(
            "gatehouse_flaky_gates", "Gates that passed and failed on one commit, last 30 days", labels=["service"]
        )
        quarantined = GaugeMetricFamily("gatehouse_quarantined_gates", "Gates quarantined now", labels=["service"])
        gate_services = Service.objects.filter(pk__in=GateRun.objects.values("service_id").distinct()).order_by("slug")
        for service in gate_services:
            rows = gate_flakiness(service=service, start=start, end=end)
            flaky.add_metric([service.slug], sum(1 for row in rows if row["state"] == "flaky"))
            quarantined.add_metric([service.slug], sum(1 for row in rows if row["quarantined"]))
        yield flaky
        yield quarantined


def scrape_allowed(request: HttpRequest) -> bool:
    """Bearer METRICS_TOKEN when one is set; otherwise only a loopback client."""
    token = settings.METRICS_TOKEN
    if token:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode())
    return request.META.get("REMOTE_ADDR", "") in LOOPBACK


def exposition(*, now: datetime | None = None) -> bytes:
    """The Prometheus text format of the delivery figures."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeliveryCollector(now=now))
    return generate_latest(registry)


@login_not_required
@require_GET
def metrics_scrape(request: HttpRequest) -> HttpResponse:
    """GET /metrics: Prometheus scrape endpoint (machines authenticate per request, not with a session)."""
    if not scrape_allowed(request):
        response = HttpResponse("metrics: set Authorization: Bearer <METRICS_TOKEN>\n", status=401,
                                content_type="text/plain")  # fmt: skip
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
