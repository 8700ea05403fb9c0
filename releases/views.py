from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from access.roles import user_actor
from access.scope import limit_to_scope, require_in_scope
from evidence.selectors import artifacts_for_commits
from releases.forms import ServiceForm
from releases.models import Service
from releases.selectors import service_list, service_recent_commits
from releases.services import service_create


def service_index(request):
    services = limit_to_scope(service_list(), request.user, service_field="pk")
    return render(request, "releases/service_list.html", {"services": services})


@permission_required("releases.add_service", raise_exception=True)
def service_new(request):
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service = service_create(actor=user_actor(request.user), **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Service {service.slug} created.")
            return redirect(service)
    return render(request, "releases/service_form.html", {"form": form})


def service_detail(request, slug):
    service = get_object_or_404(Service, slug=slug)
    require_in_scope(request.user, service_id=service.pk)
    commits = list(service_recent_commits(service=service))
    artifacts = artifacts_for_commits(commits)
    rows = [(commit, artifacts[commit.pk]) for commit in commits]
    return render(request, "releases/service_detail.html", {"service": service, "rows": rows})
