"""Argo Rollouts notifications (canary steps, promotion, aborts).

Argo Rollouts' notification engine posts whatever body its template renders; Gatehouse reads the
Rollout object itself. Give each subscribed trigger a webhook template like::

    template.gatehouse-step-completed: |
      webhook:
        gatehouse:
          method: POST
          body: |
            {"event": "on-rollout-step-completed", "rollout": {{toJson .rollout}}}

(``event`` may be omitted: the Rollout's status decides; an optional ``time`` overrides the arrival
time.) One deployment per revision, id ``<namespace>/<name>/<status.currentPodHash>``.
``on-rollout-completed`` (or a Healthy rollout whose stable ReplicaSet is the current one) ends it as
``success``; ``on-rollout-aborted``,
``on-analysis-run-failed``/``-error`` or ``status.abort`` end it as ``rolled_back`` with the open canary
step aborted; anything else opens a canary step at the current weight (``status.canary.weights.canary``
when traffic-routed, else the last ``setWeight`` before ``status.currentStepIndex``). The commit is
``?commit=``, else the annotation ``gatehouse.dev/commit`` (rollout or pod template), else a 40-hex image
tag; the service ``?service=``, else the label ``app.kubernetes.io/name``, else the rollout's name; the
environment ``?environment=``, else the label ``gatehouse.dev/environment``, else the namespace.
"""

from __future__ import annotations

from typing import Any

from metrics.adapters.base import Event, Hints, commit_sha, dig, environment_name, iso, require, service_name

_SUCCESS_EVENTS = {"on-rollout-completed"}
_ABORT_EVENTS = {"on-rollout-aborted", "on-analysis-run-failed", "on-analysis-run-error"}
COMMIT_ANNOTATION = "gatehouse.dev/commit"
ENVIRONMENT_LABEL = "gatehouse.dev/environment"


def _weight(rollout: dict[str, Any]) -> int | None:
    routed = dig(rollout, "status", "canary", "weights", "canary", "weight")
    if isinstance(routed, int):
        return routed
    steps = dig(rollout, "spec", "strategy", "canary", "steps", default=[]) or []
    index = dig(rollout, "status", "currentStepIndex")
    if not isinstance(index, int):
        return None
    weights = [step["setWeight"] for step in steps[:index] if isinstance(step, dict) and "setWeight" in step]
    return int(weights[-1]) if weights else 0


def _analysis(rollout: dict[str, Any]) -> str:
    run = dig(rollout, "status", "canary", "currentStepAnalysisRunStatus", default={}) or {}
    if run.get("status"):
        return f"{run.get('name', 'analysis')}: {run['status']}" + (
            f" ({run['message']})" if run.get("message") else ""
        )
    return str(dig(rollout, "status", "message", default=""))[:500]


def _image_tags(rollout: dict[str, Any]) -> list[str]:
    containers = dig(rollout, "spec", "template", "spec", "containers", default=[]) or []
    return [str(c.get("image", "")).rsplit(":", 1)[-1] for c in containers if isinstance(c, dict)]


def rollout_event(payload: dict[str, Any], hints: Hints) -> list[Event]:
    """Events for one Argo Rollouts notification."""
    rollout = require(payload, "rollout")
    metadata = require(rollout, "metadata")
    name, namespace = require(metadata, "name"), metadata.get("namespace") or "default"
    labels = metadata.get("labels") or {}
    status = rollout.get("status") or {}
    pod_hash = require(rollout, "status", "currentPodHash")
    event = str(payload.get("event") or "")
    at = iso(payload["time"], "time") if payload.get("time") else hints.received_at.isoformat()
    template_annotations = dig(rollout, "spec", "template", "metadata", "annotations", default={}) or {}
    fields: dict[str, Any] = {
        "service": service_name(hints, labels.get("app.kubernetes.io/name"), name),
        "environment": environment_name(hints.environment or labels.get(ENVIRONMENT_LABEL) or namespace),
        "external_id": f"{namespace}/{name}/{pod_hash}",
        "at": at,
        "commit": commit_sha(
            hints.commit,
            (metadata.get("annotations") or {}).get(COMMIT_ANNOTATION),
            template_annotations.get(COMMIT_ANNOTATION),
            *_image_tags(rollout),
        ),
        "analysis": _analysis(rollout),
    }
    if event in _ABORT_EVENTS or status.get("abort"):
        return [Event("deployment_progress", fields | {"outcome": "rolled_back"})]
    healthy = status.get("phase") == "Healthy" and status.get("stableRS") == pod_hash
    if event in _SUCCESS_EVENTS or (not event and healthy):
        return [Event("deployment_progress", fields | {"outcome": "success"})]
    return [Event("deployment_progress", fields | {"step_weight": _weight(rollout)})]
