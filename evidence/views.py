from django.http import FileResponse
from django.shortcuts import get_object_or_404, render

from access.scope import require_in_scope
from evidence.models import Artifact
from evidence.selectors import artifact_components, artifact_failing_tests, artifact_top_findings
from evidence.storage import raw_open


def artifact_detail(request, pk):
    artifact = get_object_or_404(
        Artifact.objects.select_related("service", "commit", "build", "environment", "evidence"), pk=pk
    )
    require_in_scope(request.user, service_id=artifact.service_id, moment=artifact.received_at)
    context = {
        "artifact": artifact,
        "summary": artifact.evidence.summary if hasattr(artifact, "evidence") else None,
        "findings": artifact_top_findings(artifact),
        "components": artifact_components(artifact),
        "failing_tests": artifact_failing_tests(artifact),
    }
    return render(request, "evidence/artifact_detail.html", context)


def artifact_raw(request, pk):
    """The bytes exactly as uploaded, for anyone logged in."""
    artifact = get_object_or_404(Artifact, pk=pk)
    require_in_scope(request.user, service_id=artifact.service_id, moment=artifact.received_at)
    filename = artifact.original_name or f"{artifact.sha256}.{artifact.format or 'bin'}"
    response = FileResponse(raw_open(artifact.sha256), as_attachment=True, filename=filename,
                            content_type="application/octet-stream")  # fmt: skip
    response["X-Content-SHA256"] = artifact.sha256
    return response
