"""Request bodies of the event API (the stable contract in README "Delivery metrics")."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import AwareDatetime, Field

SHA_PATTERN = r"^[0-9a-fA-F]{40}$"
ENVIRONMENT_PATTERN = r"^[-a-zA-Z0-9_]+$"


class EventIn(Schema):
    service: str = Field(min_length=1, max_length=50, description="service slug")
    environment: str = Field(
        min_length=1,
        max_length=50,
        pattern=ENVIRONMENT_PATTERN,
        description="environment name; created the first time it is named",
    )
    external_id: str = Field(min_length=1, max_length=200, description="the sender's id: re-posting it updates")


class CommitIn(Schema):
    sha: str = Field(pattern=SHA_PATTERN)
    authored_at: AwareDatetime | None = None


class CanaryStepIn(Schema):
    weight: int = Field(ge=0, le=100, description="percent of traffic on the new version")
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None
    analysis: str = Field("", max_length=5000, description="analysis result, e.g. Successful / Failed: error-rate")
    aborted: bool = False


class DeploymentIn(EventIn):
    commit: str = Field(pattern=SHA_PATTERN, description="the deployed commit, 40 hex characters")
    started_at: AwareDatetime
    finished_at: AwareDatetime
    status: Literal["success", "failed", "rolled_back"]
    build: str | None = Field(None, max_length=200)
    commits: list[CommitIn] | None = Field(
        None, max_length=10000, description="the commits this deployment ships, for senders without repository access"
    )
    canary: list[CanaryStepIn] | None = Field(None, max_length=1000)


class IncidentIn(EventIn):
    opened_at: AwareDatetime
    detected_at: AwareDatetime | None = Field(None, description="defaults to opened_at")
    resolved_at: AwareDatetime | None = None
    severity: str | None = Field(None, max_length=50)
    title: str | None = Field(None, max_length=500)
    caused_by_deployment: str | None = Field(None, max_length=200, description="a deployment's external_id")
    caused_by_commit: str | None = Field(None, pattern=SHA_PATTERN)


class FlagFlipIn(EventIn):
    flag_key: str = Field(min_length=1, max_length=300)
    flipped_at: AwareDatetime
    kill_switch: bool = Field(False, description="an urgent flip that switched a failing change off")
    enabled: bool | None = Field(None, description="the flag's state after the flip")
    comment: str = Field("", max_length=5000)


class GateRunIn(Schema):
    service: str = Field(min_length=1, max_length=50)
    external_id: str = Field(min_length=1, max_length=200)
    gate: str = Field(min_length=1, max_length=300, description="gate (job, check) name")
    run_id: str = Field("", max_length=200, description="pipeline run id")
    sha: str = Field(pattern=SHA_PATTERN)
    attempt: int = Field(1, ge=1)
    status: Literal["pass", "fail"]
    duration_s: float = Field(0, ge=0)
    started_at: AwareDatetime
    queue_s: float | None = Field(None, ge=0, description="time the run waited for a runner")


class DeploymentProgressIn(EventIn):
    """A rollout controller's event (adapters only): start, open a canary step, or end the deployment."""

    at: AwareDatetime
    commit: str | None = Field(None, pattern=SHA_PATTERN)
    build: str = Field("", max_length=200)
    step_weight: int | None = Field(None, ge=0, le=100)
    analysis: str = Field("", max_length=5000)
    outcome: Literal["success", "failed", "rolled_back"] | None = None


class EventOut(Schema):
    id: int
    external_id: str
    outcome: str  # created | updated | unchanged


class Refusal(Schema):
    detail: str
