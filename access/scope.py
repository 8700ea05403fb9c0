"""What a person may see. Everyone but auditors sees every service; an auditor sees only what an
active AuditorGrant names: those services, evidence dated inside the observation window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from access.roles import AUDITORS


@dataclass(frozen=True)
class AuditScope:
    service_ids: frozenset[int]
    window_from: date | None
    window_to: date | None

    def covers(self, *, service_id: int, moment: datetime | None = None) -> bool:
        if service_id not in self.service_ids:
            return False
        if moment is None or self.window_from is None:
            return True
        day = timezone.localtime(moment).date()
        return self.window_from <= day <= self.window_to

    def start(self) -> datetime | None:
        return timezone.make_aware(datetime.combine(self.window_from, time.min)) if self.window_from else None

    def end(self) -> datetime | None:
        return timezone.make_aware(datetime.combine(self.window_to, time.max)) if self.window_to else None


def is_auditor_only(user) -> bool:
    """An auditor with no other role: read-only and limited to their grants."""
    if not user.is_authenticated or user.is_superuser:
        return False
    roles = set(user.groups.values_list("name", flat=True))
    return roles == {AUDITORS}


def audit_scope(user) -> AuditScope | None:
    """None for people who see everything; an auditor's union of active grants otherwise (maybe empty)."""
    if not is_auditor_only(user):
        return None
    from access.models import AuditorGrant

    grants = list(AuditorGrant.objects.filter(user=user, expires_at__gt=timezone.now()).prefetch_related("services"))
    if not grants:
        return AuditScope(frozenset(), None, None)
    return AuditScope(
        frozenset(s.pk for g in grants for s in g.services.all()),
        min(g.window_from for g in grants),
        max(g.window_to for g in grants),
    )


def limit_to_scope(queryset: QuerySet, user, *, service_field: str = "service", moment_field: str = "") -> QuerySet:
    """Filter a queryset to what the user may see."""
    scope = audit_scope(user)
    if scope is None:
        return queryset
    queryset = queryset.filter(**{f"{service_field}__in": scope.service_ids})
    if moment_field and scope.window_from:
        queryset = queryset.filter(**{f"{moment_field}__gte": scope.start(), f"{moment_field}__lte": scope.end()})
    return queryset


def require_in_scope(user, *, service_id: int, moment: datetime | None = None) -> None:
    scope = audit_scope(user)
    if scope is not None and not scope.covers(service_id=service_id, moment=moment):
        raise PermissionDenied("outside your audit grant (services and observation window)")
