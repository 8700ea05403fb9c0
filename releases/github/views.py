"""POST /hooks/github: GitHub authenticates with its signature, not a session or a CSRF token."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from releases.github import webhooks


@csrf_exempt
@login_not_required
@require_POST
def github_webhook(request: HttpRequest) -> JsonResponse:
    limit = webhooks.MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return JsonResponse({"error": f"payload larger than {limit} bytes"}, status=413)
    # request.read(), not request.body: the body is needed raw for the signature, and request.body
    # would refuse anything over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) while GitHub sends up to 25 MB.
    body = request.read(limit + 1)
    if len(body) > limit:
        return JsonResponse({"error": f"payload larger than {limit} bytes"}, status=413)
    result = webhooks.webhook_receive(
        event=request.headers.get("X-GitHub-Event", ""),
        delivery_id=request.headers.get("X-GitHub-Delivery", ""),
        signature=request.headers.get("X-Hub-Signature-256", ""),
        body=body,
        content_type=request.content_type or "",
    )
    return JsonResponse(result.body, status=result.status)
