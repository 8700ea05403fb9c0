"""The dashboard's filters (service, environment, window) read from a query string, within what a person may see.

There is no team concept in Gatehouse (a Service has no team), so there is no team filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.http import urlencode

from access.scope import audit_scope
from releases.models import Environment, Service

WINDOWS = (7, 30, 90, 365)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Filters:
    service: Service | None
    environment: Environment | None
    start: datetime
    end: datetime
    days: int | None  # None when an explicit from/to was given
    services: list[Service]
    environments: list[Environment]
    clipped: bool = False  # an auditor's window was cut to their grant

    def query(self, **extra: str) -> str:
        """The query string that reproduces these filters (for drill-down links and CSV exports)."""
        params = {
            "service": self.service.slug if self.service else "",
            "environment": self.environment.name if self.environment else "",
        }
        if self.days is not None and not self.clipped:
            params["window"] = str(self.days)
        else:
            params["from"] = self.start.date().isoformat()
            params["to"] = (self.end - timedelta(microseconds=1)).date().isoformat()
        return urlencode(params | extra)

    def api_query(self) -> str:
        """The same window for the JSON API (exact ISO 8601 bounds)."""
        return urlencode({"service": self.service.slug if self.service else "",
                          "environment": self.environment.name if self.environment else "",
                          "from": self.start.isoformat(), "to": self.end.isoformat()})  # fmt: skip

    @property
    def ready(self) -> bool:
        return self.service is not None and self.environment is not None


def visible_services(user) -> QuerySet[Service]:
    """Every service, or an auditor's granted ones."""
    scope = audit_scope(user)
    services = Service.objects.order_by("slug")
    return services if scope is None else services.filter(pk__in=scope.service_ids)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filters_from(request) -> Filters:
    """Filters from ``request.GET``: defaults are the first service, production, the last 30 days."""
    get = request.GET
    services = list(visible_services(request.user))
    service = next((s for s in services if s.slug == get.get("service")), services[0] if services else None)
    environments = list(Environment.objects.order_by("-is_production", "name"))
    environment = next((e for e in environments if e.name == get.get("environment")), None)
    if environment is None and environments:
        environment = next((e for e in environments if e.name == "production"), environments[0])
    first, last = _day(get.get("from", "")), _day(get.get("to", ""))
    days: int | None = None
    if first and last and first <= last:
        start = datetime.combine(first, time.min, tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    else:
        try:
            days = int(get.get("window", DEFAULT_DAYS))
        except ValueError:
            days = DEFAULT_DAYS
        days = days if days in WINDOWS else DEFAULT_DAYS
        end = timezone.now()
        start = end - timedelta(days=days)
    clipped = False
    scope = audit_scope(request.user)
    if scope is not None and scope.window_from is not None:
        clipped = start < scope.start() or end > scope.end()
        start, end = max(start, scope.start()), min(end, scope.end())
        if start >= end:
            raise PermissionDenied("this window lies outside your audit grant's observation window")
    return Filters(service, environment, start, end, days, services, environments, clipped)
