"""Login (throttled) and the API token page (create, shown once; revoke)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from access.forms import TokenForm
from access.models import ApiToken
from access.roles import user_actor
from access.services import api_token_create, api_token_revoke
from access.throttle import login_failed, login_locked, login_succeeded


@method_decorator(login_not_required, name="dispatch")
class ThrottledLoginView(auth_views.LoginView):
    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        address = request.META.get("REMOTE_ADDR", "")
        if login_locked(username=username, address=address):
            form = self.get_form()
            form.add_error(None, "Too many failed logins; try again later.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            login_succeeded(username=username, address=address)
        else:
            login_failed(username=username, address=address)
        return response


@permission_required("access.view_apitoken", raise_exception=True)
def token_index(request):
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST":
        if not request.user.has_perm("access.add_apitoken"):
            return render(request, "access/tokens.html", {"form": form, "tokens": _tokens()}, status=403)
        if form.is_valid():
            data = form.cleaned_data
            token, plaintext = api_token_create(name=data["name"], services=list(data["services"]),
                                                scopes=data["scopes"], created_by=request.user,
                                                actor=user_actor(request.user))  # fmt: skip
            created = (token, plaintext)
            form = TokenForm()
    return render(request, "access/tokens.html", {"form": form, "tokens": _tokens(), "created": created})


def _tokens():
    return ApiToken.objects.prefetch_related("services").select_related("created_by")


@require_POST
@permission_required("access.add_apitoken", raise_exception=True)
def token_revoke(request, prefix):
    token = get_object_or_404(ApiToken, prefix=prefix)
    api_token_revoke(token=token, actor=user_actor(request.user))
    messages.success(request, f"Token {token.prefix} revoked; it stops working on its next request.")
    return redirect("token-list")
