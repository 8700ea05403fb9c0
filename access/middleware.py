"""Every page an auditor views and every download is recorded in the ledger."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from access.roles import user_actor
from access.scope import is_auditor_only
from ledger.services import ledger_record


class AuditorAccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and is_auditor_only(user) and not request.path.startswith("/static/"):
            ledger_record(actor=user_actor(user), action="auditor.viewed", subject_type="path",
                          subject_id=request.path[:100], data={"method": request.method, "query": request.META.get(
                              "QUERY_STRING", "")[:500], "status": response.status_code})  # fmt: skip
        return response
