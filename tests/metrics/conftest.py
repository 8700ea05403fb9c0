"""Helpers for the metrics tests: a fixed clock origin, short SHAs and direct event writers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from metrics.models import Deployment, Incident
from metrics.services import KEEP, CanaryStepData, ListedCommit, deployment_record, flag_flip_record, incident_record
from releases.models import Environment, Service

DATA = Path(__file__).resolve().parents[1] / "data" / "metrics"
T0 = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)  # a Monday, midnight UTC


def at(hours: float = 0, *, minutes: float = 0, days: float = 0) -> datetime:
    """T0 plus an offset: fixtures read as 'hour 5', 'day 2'."""
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def sha(label: str | int) -> str:
    """A readable fake SHA: sha('a1') == 'a1' padded with zeros to 40 hex characters."""
    text = str(label).encode().hex() if not all(c in "0123456789abcdef" for c in str(label)) else str(label)
    return (text + "0" * 40)[:40]


def payload(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def deploy(
    service: Service,
    ext: str,
    commit: str | None,
    finished: datetime,
    *,
    env: str = "production",
    status: str = "success",
    started: datetime | None = None,
    commits=KEEP,
    canary=KEEP,
) -> Deployment:
    listed = commits if commits is KEEP else [ListedCommit(sha(s), a) for s, a in commits]
    steps = canary if canary is KEEP else [CanaryStepData(*step) for step in canary]
    deployment, _ = deployment_record(
        service=service,
        environment=env,
        external_id=ext,
        commit_sha=sha(commit) if commit else None,
        started_at=started or finished - timedelta(minutes=10),
        finished_at=finished,
        status=status,
        commits=listed,
        canary=steps,
        actor="test",
    )
    return deployment


def incident(
    service: Service,
    ext: str,
    opened: datetime,
    *,
    env: str = "production",
    resolved=KEEP,
    detected=KEEP,
    caused_by_deployment=KEEP,
    caused_by_commit=KEEP,
) -> Incident:
    row, _ = incident_record(
        service=service,
        environment=env,
        external_id=ext,
        opened_at=opened,
        detected_at=detected,
        resolved_at=resolved,
        caused_by_deployment=caused_by_deployment,
        caused_by_commit=sha(caused_by_commit) if isinstance(caused_by_commit, str) else caused_by_commit,
        actor="test",
    )
    return row


def kill_switch(service: Service, ext: str, flipped: datetime, *, env: str = "production", kill: bool = True):
    flip, _ = flag_flip_record(
        service=service,
        environment=env,
        external_id=ext,
        flag_key="checkout-v2",
        flipped_at=flipped,
        kill_switch=kill,
        enabled=False,
        actor="test",
    )
    return flip


def reload(deployment: Deployment) -> Deployment:
    return Deployment.objects.get(pk=deployment.pk)


@pytest.fixture
def production(db) -> Environment:
    return Environment.objects.get_or_create(name="production", defaults={"is_production": True})[0]


def pull_request(
    service: Service,
    number: int,
    *,
    merged: datetime,
    merge_sha: str,
    commits=(),
    title: str = "",
    created: datetime | None = None,
    revert: bool = False,
    hotfix: bool = False,
):
    """A merged PR with its original commits ``[(label, authored_at), ...]`` (kept by squash and rebase merges)."""
    from releases.models import PullRequest, PullRequestCommit

    pr = PullRequest.objects.create(
        service=service,
        number=number,
        title=title or f"PR {number}",
        state="closed",
        merged_at=merged,
        merge_commit_sha=sha(merge_sha),
        head_sha=sha(f"{merge_sha}ee"),
        created_at=created,
        is_revert=revert,
        is_hotfix=hotfix,
    )
    for label, authored in commits:
        PullRequestCommit.objects.create(pull_request=pr, sha=sha(label), authored_at=authored)
    return pr


def figures(service: Service, start: datetime, end: datetime, env: str = "production") -> dict:
    from metrics.dora import dora_metrics

    return dora_metrics(service=service, environment=Environment.objects.get(name=env), start=start, end=end)


def derived_state() -> list[tuple]:
    """Every derived field, to compare incremental recomputation with a full one."""
    from metrics.models import DeploymentCommit

    deployments = list(
        Deployment.objects.order_by("pk").values_list(
            "pk",
            "is_baseline",
            "previous_success",
            "rollback_of",
            "is_failed",
            "failure_rule",
            "recovered_at",
            "recovery_rule",
            "rework_rule",
        )
    )
    changes = sorted(
        DeploymentCommit.objects.values_list(
            "deployment",
            "sha",
            "authored_at",
            "pr",
            "origin",
            "is_revert",
            "is_hotfix",
            "reverts_pr",
            "reverts_sha",
            "lead_time_s",
        )
    )
    incidents = list(Incident.objects.order_by("pk").values_list("pk", "attributed_deployment", "attribution_rule"))
    return [*deployments, *changes, *incidents]


def assert_full_recompute_agrees() -> None:
    """The incremental updates each event made equal what a recompute from scratch derives."""
    from metrics.derive import metrics_recompute_all

    incremental = derived_state()
    metrics_recompute_all()
    assert derived_state() == incremental


def hand_percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks: what percentile_cont computes, written out by hand."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
