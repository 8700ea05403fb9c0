"""Reads for services, commits and builds."""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet

from releases.models import Commit, Service


def service_list() -> QuerySet[Service]:
    return Service.objects.annotate(
        commit_count=Count("commits", distinct=True), last_activity=Max("commits__first_seen_at")
    ).order_by("slug")


def service_recent_commits(*, service: Service, limit: int = 20) -> QuerySet[Commit]:
    return service.commits.order_by("-first_seen_at").prefetch_related("builds")[:limit]
