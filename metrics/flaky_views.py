"""The flaky-gate board: gates and tests, flaky vs broken, quarantines (create, lift), CSV of every table."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.roles import ENGINEERS, RELEASE_MANAGERS, user_actor
from access.scope import require_in_scope
from metrics import charts
from metrics.filters import WINDOWS, filters_from, visible_services
from metrics.flakiness import gate_flakiness, junit_test_flakiness, quarantine_list
from metrics.models import GateQuarantine
from metrics.services import EventError, quarantine_create, quarantine_expire
from metrics.views import csv_response

GATE_COLUMNS = ["gate", "state", "quarantined", "runs", "passes", "fails", "commits", "flaky_commits", "flaky_rate",
                "flips", "flip_rate", "first_failed_commits", "passed_on_retry", "pass_on_retry_rate", "time_lost_s",
                "duration_s"]  # fmt: skip
TEST_COLUMNS = ["classname", "name", "state", "runs", "passes", "fails", "flaky_runs", "commits", "flaky_commits",
                "flaky_rate", "flips", "flip_rate", "passed_on_retry", "pass_on_retry_rate", "time_lost_s"]  # fmt: skip
QUARANTINE_COLUMNS = ["gate", "state", "owner", "reason", "expires_at", "created_by", "created_at", "lifted_at",
                      "lifted_by"]  # fmt: skip


def may_quarantine(user) -> bool:
    """Engineers and release managers quarantine gates; auditors only read."""
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=[ENGINEERS, RELEASE_MANAGERS]).exists()


class QuarantineForm(forms.Form):
    gate = forms.CharField(max_length=300)
    owner = forms.CharField(max_length=200)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="the end of this day (UTC)")

    def expires_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["expires_on"], time.max, tzinfo=UTC)


def flaky_board(request):
    """/metrics/flaky/: every gate (and failing JUnit test) of a service over a window, flakiest first."""
    filters = filters_from(request)
    context = {"filters": filters, "windows": WINDOWS, "may_quarantine": may_quarantine(request.user)}
    if filters.service is not None:
        service = filters.service
        gates = gate_flakiness(service=service, start=filters.start, end=filters.end)
        tests = junit_test_flakiness(service=service, start=filters.start, end=filters.end)
        quarantines = quarantine_list(service)
        table = request.GET.get("table", "gates")
        if request.GET.get("format") == "csv":
            if table == "gates":
                return csv_response(f"{service.slug}-gates", gates, GATE_COLUMNS)
            if table == "tests":
                return csv_response(f"{service.slug}-tests", tests, TEST_COLUMNS)
            if table == "quarantines":
                return csv_response(f"{service.slug}-quarantines", quarantines, QUARANTINE_COLUMNS)
            raise Http404(f"no table {table!r}")
        default_expiry = (timezone.now() + timedelta(days=14)).date()
        context |= {
            "gates": gates,
            "tests": tests,
            "quarantines": quarantines,
            "time_lost_s": sum(g["time_lost_s"] for g in gates),
            "charts": {"gate-flakiness": charts.flakiness_figure(gates)},
            "form": QuarantineForm(initial={"owner": request.user.get_username(), "expires_on": default_expiry}),
            "query": filters.query(),
        }
    template = "metrics/flaky.html#board" if request.htmx else "metrics/flaky.html"
    return render(request, template, context)


@require_POST
def quarantine_new(request):
    """Quarantine a gate of a service (owner, reason, expiry): its failures stop blocking releases until then."""
    if not may_quarantine(request.user):
        raise PermissionDenied("engineers and release managers quarantine gates")
    service = get_object_or_404(visible_services(request.user), slug=request.POST.get("service", ""))
    require_in_scope(request.user, service_id=service.pk)
    form = QuarantineForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
        messages.error(request, f"Quarantine refused: {problems}")
        return redirect(f"/metrics/flaky/?service={service.slug}")
    try:
        quarantine_create(service=service, gate=form.cleaned_data["gate"], owner=form.cleaned_data["owner"],
                          reason=form.cleaned_data["reason"], expires_at=form.expires_at(),
                          actor=user_actor(request.user))  # fmt: skip
    except EventError as exc:
        messages.error(request, f"Quarantine refused: {exc.message}")
    else:
        messages.success(request, f"{form.cleaned_data['gate']} quarantined until {form.cleaned_data['expires_on']}")
    return redirect(f"/metrics/flaky/?service={service.slug}")


@require_POST
def quarantine_lift(request, pk: int):
    """End a quarantine before its expiry."""
    if not may_quarantine(request.user):
        raise PermissionDenied("engineers and release managers lift quarantines")
    quarantine = get_object_or_404(GateQuarantine.objects.select_related("service"), pk=pk)
    require_in_scope(request.user, service_id=quarantine.service_id)
    quarantine_expire(quarantine=quarantine, actor=user_actor(request.user))
    messages.success(request, f"quarantine of {quarantine.gate} lifted")
    return redirect(f"/metrics/flaky/?service={quarantine.service.slug}")
