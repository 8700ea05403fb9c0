"""The bundles page: request a bundle (small ones stream at once, large ones build in a job), watch, download."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.roles import user_actor
from checklists.bundles.forms import PeriodBundleForm, ReleaseBundleForm
from checklists.bundles.models import BundleExport
from checklists.bundles.selectors import (
    BundleError,
    BundleScope,
    bundle_artifact_bytes,
    bundle_list,
    bundle_may_export,
    bundle_scope_in_grant,
)
from checklists.bundles.services import bundle_dir, bundle_download_record, bundle_request, bundle_stream
from ledger.signing import signing_key_fingerprint


def exporters_only(view):
    """Release managers and auditors (read-only people may still take the evidence away)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not bundle_may_export(request.user):
            raise PermissionDenied("only release managers and auditors export evidence bundles")
        return view(request, *args, **kwargs)

    return wrapped


def _page(request, release_form=None, period_form=None, status=200):
    context = {
        "release_form": release_form or ReleaseBundleForm(),
        "period_form": period_form or PeriodBundleForm(),
        "exports": bundle_list(),
        "fingerprint": signing_key_fingerprint(),
        "stream_limit_mb": settings.GATEHOUSE_BUNDLE_STREAM_MAX_BYTES // (1024 * 1024),
        "keep_days": settings.GATEHOUSE_BUNDLE_KEEP_DAYS,
    }
    return render(request, "bundles/page.html", context, status=status)


@exporters_only
def bundle_index(request):
    return _page(request)


def _scope_from(request) -> tuple[BundleScope | None, ReleaseBundleForm | None, PeriodBundleForm | None]:
    if request.POST.get("kind") == "release":
        form = ReleaseBundleForm(request.POST)
        if form.is_valid():
            return BundleScope(release_id=form.cleaned_data["release"].pk), None, None
        return None, form, None
    form = PeriodBundleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        scope = BundleScope(services=tuple(s.slug for s in data["services"]), date_from=data["date_from"],
                            date_to=data["date_to"], seed=data["seed"], size=data["size"])  # fmt: skip
        return scope, None, None
    return None, None, form


@require_POST
@exporters_only
def bundle_new(request):
    """Small bundles stream back at once; larger ones are queued and shown with their progress."""
    scope, release_form, period_form = _scope_from(request)
    if scope is None:
        return _page(request, release_form, period_form, status=422)
    if not bundle_scope_in_grant(request.user, scope):
        raise PermissionDenied("outside your audit grant (services and observation window)")
    actor = user_actor(request.user)
    try:
        if bundle_artifact_bytes(scope) <= settings.GATEHOUSE_BUNDLE_STREAM_MAX_BYTES:
            response = StreamingHttpResponse(bundle_stream(scope=scope, actor=actor), content_type="application/zip")
            name = f"gatehouse-{scope.kind}-bundle-{timezone.now():%Y%m%d-%H%M%S}.zip"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        export = bundle_request(scope=scope, actor=actor, user=request.user)
    except BundleError as exc:
        messages.error(request, exc.message)
        return _page(request, status=exc.status)
    messages.success(request, f"Bundle #{export.pk} is being built; it appears below when ready.")
    return redirect("bundle-list")


@exporters_only
def bundle_status(request, pk):
    """The export's row: the page polls it (HTMX) until the bundle is ready or failed."""
    export = get_object_or_404(BundleExport.objects.select_related("requested_by"), pk=pk)
    if not bundle_scope_in_grant(request.user, BundleScope.from_dict(export.scope)):
        raise PermissionDenied("outside your audit grant")
    context = {"export": export, "keep_days": settings.GATEHOUSE_BUNDLE_KEEP_DAYS}
    return render(request, "bundles/page.html#export-row", context)


@exporters_only
def bundle_download(request, pk):
    export = get_object_or_404(BundleExport, pk=pk, status=BundleExport.Status.READY)
    if not bundle_scope_in_grant(request.user, BundleScope.from_dict(export.scope)):
        raise PermissionDenied("outside your audit grant")
    path = bundle_dir() / export.file_name
    if not export.file_name or not path.is_file():
        raise Http404("the bundle file is no longer kept; request it again")
    bundle_download_record(export=export, actor=user_actor(request.user))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"gatehouse-bundle-{export.pk}.zip",
                        content_type="application/zip")  # fmt: skip
