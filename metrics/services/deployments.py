"""Writes for deployments: the posted record, its canary steps, and rollout-controller progress events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from metrics.derive import lock_service
from metrics.models import CanaryStep, Deployment, Source
from metrics.services.common import (
    KEEP,
    EventError,
    Keep,
    audit,
    aware,
    environment_checked,
    external_id_checked,
    outcome_of,
    recompute,
    sha_checked,
    upsert,
)
from releases.models import Service
from releases.services import commit_get_or_create


@dataclass(frozen=True)
class ListedCommit:
    sha: str
    authored_at: datetime | None = None


@dataclass(frozen=True)
class CanaryStepData:
    weight: int
    started_at: datetime
    finished_at: datetime | None = None
    analysis: str = ""
    aborted: bool = False


def _listed(commits: Sequence[ListedCommit]) -> list[dict[str, str | None]]:
    listed: dict[str, dict[str, str | None]] = {}
    for position, commit in enumerate(commits):
        sha = sha_checked(commit.sha, f"commits[{position}].sha")
        aware(commit.authored_at, f"commits[{position}].authored_at")
        listed[sha] = {"sha": sha, "authored_at": commit.authored_at.isoformat() if commit.authored_at else None}
    return list(listed.values())


def _canary(steps: Sequence[CanaryStepData]) -> list[dict[str, Any]]:
    for position, step in enumerate(steps):
        if not 0 <= step.weight <= 100:
            raise EventError(422, "must be 0-100 (percent of traffic)", f"canary[{position}].weight")
        aware(step.started_at, f"canary[{position}].started_at")
        aware(step.finished_at, f"canary[{position}].finished_at")
        if step.finished_at and step.finished_at < step.started_at:
            raise EventError(422, "is before started_at", f"canary[{position}].finished_at")
    return [
        {
            "position": position,
            "weight": s.weight,
            "started_at": s.started_at,
            "finished_at": s.finished_at,
            "analysis": s.analysis,
            "aborted": s.aborted,
        }
        for position, s in enumerate(steps)
    ]


def _canary_replace(deployment: Deployment, steps: list[dict[str, Any]]) -> bool:
    current = list(
        deployment.canary_steps.values("position", "weight", "started_at", "finished_at", "analysis", "aborted")
    )
    if current == steps:
        return False
    deployment.canary_steps.all().delete()
    CanaryStep.objects.bulk_create(CanaryStep(deployment=deployment, **step) for step in steps)
    return True


@transaction.atomic
def deployment_record(
    *,
    service: Service,
    environment: str,
    external_id: str,
    commit_sha: str | None,
    started_at: datetime,
    finished_at: datetime | None,
    status: str,
    build: str | Keep = KEEP,
    commits: Sequence[ListedCommit] | Keep = KEEP,
    canary: Sequence[CanaryStepData] | Keep = KEEP,
    source: str = Source.API,
    actor: str,
) -> tuple[Deployment, str]:
    """Record a deployment (created, updated or unchanged) and recompute its service and environment."""
    external_id = external_id_checked(external_id)
    if status not in Deployment.Status.values:
        raise EventError(422, f"must be one of {', '.join(Deployment.Status.values)}", "status")
    aware(started_at, "started_at")
    aware(finished_at, "finished_at")
    if status != Deployment.Status.IN_PROGRESS and finished_at is None:
        raise EventError(422, f"is required for a {status} deployment", "finished_at")
    if finished_at is not None and finished_at < started_at:
        raise EventError(422, "is before started_at", "finished_at")
    if not isinstance(build, Keep) and len(build) > 200:
        raise EventError(422, "must be at most 200 characters", "build")
    listed = _listed(commits) if not isinstance(commits, Keep) else KEEP
    steps = _canary(canary) if not isinstance(canary, Keep) else KEEP
    sha = sha_checked(commit_sha, "commit") if commit_sha is not None else None
    lock_service(service.pk)
    env = environment_checked(environment, actor)
    values: dict[str, Any] = {
        "environment": env,
        "commit": commit_get_or_create(service=service, sha=sha) if sha else None,
        "started_at": started_at,
        "finished_at": finished_at,
        "status": status,
        "source": source,
    }
    if not isinstance(build, Keep):
        values["build"] = build
    if not isinstance(listed, Keep):
        values["listed_commits"] = listed
    deployment, created, changed, before = upsert(Deployment, service=service, external_id=external_id, values=values)
    if not isinstance(steps, Keep) and _canary_replace(deployment, steps):
        changed = sorted({*changed, "canary"})
    audit("deployment", deployment, created, changed, actor, {"environment": env.name, "status": status, "commit": sha})
    if created or changed:
        recompute(
            [deployment, before],
            deployment.started_at,
            deployment.finished_at,
            *((before.started_at, before.finished_at) if before else ()),
        )
        deployment.refresh_from_db()
    return deployment, outcome_of(created, changed)


@transaction.atomic
def deployment_progress_record(
    *,
    service: Service,
    environment: str,
    external_id: str,
    at: datetime,
    commit_sha: str | None = None,
    build: str = "",
    step_weight: int | None = None,
    analysis: str = "",
    outcome: str | None = None,
    source: str,
    actor: str,
) -> tuple[Deployment, str]:
    """Apply one rollout-controller event: start the deployment, open a canary step, or end it.

    A new step closes the open one; an outcome closes the open step (aborted unless it succeeded) and
    finishes the deployment. A repeated event (same open step, same outcome) changes nothing.
    """
    external_id = external_id_checked(external_id)
    aware(at, "at")
    existing = Deployment.objects.filter(service=service, external_id=external_id).first()
    if existing is None:
        steps: list[CanaryStepData] = []
        status, started_at, finished_at = Deployment.Status.IN_PROGRESS, at, None
    else:
        rows = list(existing.canary_steps.all())
        steps = [CanaryStepData(s.weight, s.started_at, s.finished_at, s.analysis, s.aborted) for s in rows]
        status, started_at, finished_at = existing.status, existing.started_at, existing.finished_at
        commit_sha = commit_sha or (existing.commit.sha if existing.commit else None)
        build = build or existing.build
    open_step = steps[-1] if steps and steps[-1].finished_at is None else None
    if status == Deployment.Status.IN_PROGRESS:
        if step_weight is not None and (open_step is None or open_step.weight != step_weight):
            if open_step is not None:
                steps[-1] = CanaryStepData(
                    open_step.weight, open_step.started_at, max(at, open_step.started_at), open_step.analysis, False
                )
            steps.append(CanaryStepData(step_weight, max(at, started_at), None, analysis, False))
            open_step = steps[-1]
        elif analysis and open_step is not None and open_step.analysis != analysis:
            steps[-1] = CanaryStepData(open_step.weight, open_step.started_at, None, analysis, False)
            open_step = steps[-1]
    if outcome is not None and outcome != status:
        finished_at = max(at, started_at)
        status = outcome
        if open_step is not None:
            aborted = outcome != Deployment.Status.SUCCESS
            steps[-1] = CanaryStepData(
                open_step.weight,
                open_step.started_at,
                max(finished_at, open_step.started_at),
                analysis or open_step.analysis,
                aborted,
            )
    return deployment_record(
        service=service,
        environment=environment,
        external_id=external_id,
        commit_sha=commit_sha,
        started_at=started_at,
        finished_at=finished_at,
        status=status,
        build=build,
        canary=steps,
        source=source,
        actor=actor,
    )
