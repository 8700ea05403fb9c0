"""The native adapters, registered explicitly: ``POST /api/v1/events/<source>`` and the GitHub events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from metrics.adapters import argo_rollouts, flagger, github, launchdarkly, pagerduty, unleash
from metrics.adapters.base import Event, Hints
from metrics.models import Source

Adapter = Callable[[dict[str, Any], Hints], list[Event]]

# POST /api/v1/events/<source>
ADAPTERS: dict[str, Adapter] = {
    Source.ARGO_ROLLOUTS.value: argo_rollouts.rollout_event,
    Source.FLAGGER.value: flagger.canary_event,
    Source.LAUNCHDARKLY.value: launchdarkly.flag_change,
    Source.UNLEASH.value: unleash.feature_event,
    Source.PAGERDUTY.value: pagerduty.incident_event,
}

# GitHub webhook events (through releases.github.webhooks, which verifies and stores them first)
GITHUB_ADAPTERS: dict[str, Adapter] = {
    "deployment_status": github.deployment_status,
    "workflow_run": github.workflow_run,
}
