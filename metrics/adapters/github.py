"""GitHub ``deployment_status`` (deployments) and ``workflow_run`` (CI runs: gate history and queue time).

deployment_status: ``success`` records a successful deployment finished at the status's ``created_at``,
``failure``/``error`` a failed one; ``queued``/``pending``/``in_progress`` start it (not counted until it
ends); ``inactive`` (superseded by a newer deployment) changes nothing. The deployment started at the
deployment's ``created_at``; its id is ``github-<deployment id>``.

workflow_run: a ``completed`` run whose conclusion is ``success`` is a passing gate run of the workflow,
``failure``/``timed_out``/``startup_failure`` a failing one (cancelled, skipped, neutral... are not
verdicts). Queue time is ``run_started_at - created_at`` on the first attempt; a re-run keeps the
original ``created_at``, so later attempts carry no queue time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from metrics.adapters.base import AdapterError, Event, Hints, dig, environment_name, iso, require, service_name

_DEPLOYMENT_STATES = {"success": "success", "failure": "failed", "error": "failed"}
_STARTED_STATES = {"queued", "pending", "in_progress"}
_GATE_CONCLUSIONS = {"success": "pass", "failure": "fail", "timed_out": "fail", "startup_failure": "fail"}


def deployment_status(payload: dict[str, Any], hints: Hints) -> list[Event]:
    """Events for one ``deployment_status`` delivery."""
    status = require(payload, "deployment_status")
    deployment = require(payload, "deployment")
    state = str(require(status, "state"))
    common = {
        "service": service_name(hints),
        "environment": environment_name(
            hints.environment or status.get("environment") or deployment.get("environment") or ""
        ),
        "external_id": f"github-{require(deployment, 'id')}",
    }
    sha = str(require(deployment, "sha")).lower()
    started_at = iso(require(deployment, "created_at"), "deployment.created_at")
    at = iso(status.get("created_at") or status.get("updated_at"), "deployment_status.created_at")
    if state in _DEPLOYMENT_STATES:
        return [
            Event(
                "deployment",
                common
                | {"commit": sha, "started_at": started_at, "finished_at": at, "status": _DEPLOYMENT_STATES[state]},
            )
        ]
    if state in _STARTED_STATES:
        return [Event("deployment_progress", common | {"commit": sha, "at": started_at})]
    return []


def _seconds(later: str, earlier: str) -> float:
    return max(0.0, (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds())


def workflow_run(payload: dict[str, Any], hints: Hints) -> list[Event]:
    """Events for one ``workflow_run`` delivery: a gate run once the run has a verdict."""
    run = require(payload, "workflow_run")
    if payload.get("action") != "completed" or run.get("status") != "completed":
        return []
    verdict = _GATE_CONCLUSIONS.get(str(run.get("conclusion") or ""))
    if verdict is None:
        return []
    name = run.get("name") or dig(payload, "workflow", "name") or run.get("path")
    if not name:
        raise AdapterError("the body has no workflow_run.name")
    attempt = int(run.get("run_attempt") or 1)
    created = iso(require(run, "created_at"), "workflow_run.created_at")
    started = iso(run.get("run_started_at") or run["created_at"], "workflow_run.run_started_at")
    finished = iso(run.get("updated_at") or run.get("run_started_at") or run["created_at"], "workflow_run.updated_at")
    return [
        Event(
            "gate_run",
            {
                "service": service_name(hints),
                "external_id": f"github-run-{require(run, 'id')}-{attempt}",
                "gate": str(name)[:300],
                "run_id": str(run["id"]),
                "sha": str(require(run, "head_sha")).lower(),
                "attempt": attempt,
                "status": verdict,
                "started_at": started,
                "duration_s": _seconds(finished, started),
                "queue_s": _seconds(started, created) if attempt == 1 else None,
            },
        )
    ]
