"""Reacting to new evidence: the releases of that commit are re-evaluated by an RQ job."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from evidence.signals import evidence_parsed

logger = logging.getLogger(__name__)


@receiver(evidence_parsed)
def reevaluate_on_evidence(sender, artifact, **kwargs) -> None:
    from checklists.models import Release

    if not Release.objects.filter(commit_id=artifact.commit_id).exclude(status=Release.Status.APPROVED).exists():
        return
    # Imported only when there is a release to evaluate: the jobs pull in the GitHub client, which would
    # otherwise cost every `manage.py ingest` of a commit without a release ~0.2 s of imports.
    from checklists.jobs import enqueue_evaluation

    try:
        enqueue_evaluation(artifact.commit_id)
    except Exception as exc:  # Redis down: evaluate now rather than lose the update
        logger.warning("queue unavailable (%s); evaluating releases of commit %s inline", exc, artifact.commit_id)
        from checklists.services import releases_reevaluate_for_commit

        releases_reevaluate_for_commit(commit_id=artifact.commit_id)
