"""Release pages: list, create, detail with sign-off, waiver and approval forms. Views stay thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.roles import user_actor
from access.scope import limit_to_scope, require_in_scope
from checklists.forms import ReleaseForm, SignOffForm, WaiverForm
from checklists.models import Release, ReleaseItem, Waiver
from checklists.selectors import release_diff, release_list, release_newer_evidence
from checklists.services import (
    ReleaseError,
    release_approve,
    release_create,
    release_signoff,
    waiver_approve,
    waiver_request,
)


def release_index(request):
    releases = release_list(service_slug=request.GET.get("service", ""), status=request.GET.get("status", ""))
    releases = limit_to_scope(releases, request.user, moment_field="created_at")
    return render(request, "checklists/release_list.html", {"releases": releases[:200], "now": timezone.now()})


@permission_required("checklists.add_release", raise_exception=True)
def release_new(request):
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            release, _ = release_create(service=data["service"], version=data["version"],
                                        commit_sha=data["commit"].lower(), checklist_name=data["checklist"],
                                        actor=user_actor(request.user))  # fmt: skip
        except ReleaseError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(release)
    return render(request, "checklists/release_form.html", {"form": form})


def release_detail(request, pk):
    release = get_object_or_404(Release.objects.select_related("service", "commit", "approved_by"), pk=pk)
    require_in_scope(request.user, service_id=release.service_id, moment=release.created_at)
    items = release.items.prefetch_related("evidence", "signoffs__user", "waivers__requested_by",
                                           "waivers__approved_by")  # fmt: skip
    from releases.selectors import pull_request_approval, release_changes

    previous = release_diff(release)
    prs = release_changes(service=release.service, from_sha=previous.previous.commit.sha if previous.previous else None,
                          to_sha=release.commit.sha)  # fmt: skip
    context = {
        "release": release,
        "items": items,
        "diff": previous,
        "changes": [(pr, pull_request_approval(pr)) for pr in prs],
        "newer_evidence": release_newer_evidence(release),
        "signoff_form": SignOffForm(),
        "waiver_form": WaiverForm(),
    }
    if request.htmx:
        return render(request, "checklists/release_detail.html#items", context)
    return render(request, "checklists/release_detail.html", context)


def _item(release_pk: int, item_id: str) -> ReleaseItem:
    return get_object_or_404(ReleaseItem.objects.select_related("release"), release_id=release_pk, item_id=item_id)


def _refused(request, exc: ReleaseError, release_pk: int):
    """Show the release again with the reason, answering with the refusal's status (403, 409, 422)."""
    messages.error(request, exc.message)
    response = release_detail(request, release_pk)
    response.status_code = exc.status
    return response


@require_POST
def item_signoff(request, pk, item_id):
    form = SignOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("release-detail", pk=pk)
    try:
        release_signoff(item=_item(pk, item_id), user=request.user, **form.cleaned_data)
    except ReleaseError as exc:
        return _refused(request, exc, pk)
    messages.success(request, f"{item_id} signed off.")
    return redirect("release-detail", pk=pk)


@require_POST
def item_waiver(request, pk, item_id):
    form = WaiverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("release-detail", pk=pk)
    try:
        waiver_request(item=_item(pk, item_id), user=request.user, **form.cleaned_data)
    except ReleaseError as exc:
        return _refused(request, exc, pk)
    messages.success(request, f"Waiver for {item_id} requested; another release manager must approve it.")
    return redirect("release-detail", pk=pk)


@require_POST
def waiver_approval(request, pk, waiver_pk):
    waiver = get_object_or_404(Waiver.objects.select_related("item__release"), pk=waiver_pk, item__release_id=pk)
    try:
        waiver_approve(waiver=waiver, user=request.user)
    except ReleaseError as exc:
        return _refused(request, exc, pk)
    messages.success(request, "Waiver approved.")
    return redirect("release-detail", pk=pk)


@require_POST
def release_approval(request, pk):
    release = get_object_or_404(Release, pk=pk)
    try:
        release_approve(release=release, user=request.user)
    except ReleaseError as exc:
        return _refused(request, exc, pk)
    messages.success(request, f"{release} approved; its evidence is frozen.")
    return redirect("release-detail", pk=pk)
