"""Delivery events (deployments, incidents, flag flips, gate runs) and what Gatehouse derives from them.

Posted fields are what a client or an adapter sent. Fields under "derived" are recomputed by
``metrics.derive.metrics_recompute`` whenever an event of the same service and environment arrives,
so every figure on the dashboard is a plain aggregate over stored per-row values.
"""

from __future__ import annotations

from django.db import models

from releases.models import Commit, Environment, PullRequest, Service


class Source(models.TextChoices):
    API = "api"
    GITHUB = "github"
    ARGO_ROLLOUTS = "argo-rollouts"
    FLAGGER = "flagger"
    LAUNCHDARKLY = "launchdarkly"
    UNLEASH = "unleash"
    PAGERDUTY = "pagerduty"


class Deployment(models.Model):
    class Status(models.TextChoices):
        SUCCESS = "success"
        FAILED = "failed"
        ROLLED_BACK = "rolled_back"
        # Only adapters (rollout controllers) report a deployment before it ends; never counted.
        IN_PROGRESS = "in_progress"

    class FailureRule(models.TextChoices):
        NONE = "", "not failed"
        STATUS = "status", "reported failed or rolled_back"
        ROLLBACK = "rollback", "a later deployment redeployed an earlier SHA"
        INCIDENT = "incident", "an incident is attributed to it"

    class RecoveryRule(models.TextChoices):
        NONE = "", "not recovered"
        NEXT_SUCCESS = "next-success", "next successful deployment"
        INCIDENT_RESOLVED = "incident-resolved", "its incidents were resolved"
        KILL_SWITCH = "kill-switch", "a kill-switch flag flip"

    class ReworkRule(models.TextChoices):
        NONE = "", "planned"
        ROLLBACK = "rollback", "redeploys an earlier SHA"
        REVERT = "revert", "ships a revert pull request"
        HOTFIX = "hotfix", "ships a hotfix pull request"
        AFTER_FAILURE = "after-failure", "next deployment within the rework window after a failed one"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="deployments")
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="deployments")
    external_id = models.CharField(max_length=200)
    # Null only for rollout-controller events that name no commit (counted, but linked to no change).
    commit = models.ForeignKey(Commit, null=True, blank=True, on_delete=models.PROTECT, related_name="deployments")
    build = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    # The `commits` list as posted ([{sha, authored_at}]): kept raw so changes can be derived again
    # when pull-request data arrives later.
    listed_commits = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=30, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # derived
    is_baseline = models.BooleanField(default=False)
    previous_success = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rollback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rolled_back_by"
    )
    is_failed = models.BooleanField(default=False)
    failure_rule = models.CharField(max_length=20, blank=True, choices=FailureRule.choices)
    recovered_at = models.DateTimeField(null=True, blank=True)
    recovery_rule = models.CharField(max_length=20, blank=True, choices=RecoveryRule.choices)
    rework_rule = models.CharField(max_length=20, blank=True, choices=ReworkRule.choices)

    class Meta:
        ordering = ["-finished_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "external_id"], name="deployment_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["service", "environment", "finished_at", "id"], name="deployment_window"),
            # Covers the dashboard's window aggregates (dora figures, trend) for index-only scans.
            models.Index(
                fields=["service", "environment", "finished_at"],
                include=["id", "status", "is_failed", "recovered_at", "rework_rule"],
                name="deployment_window_cover",
            ),
            models.Index(
                fields=["service", "environment", "finished_at", "id"],
                condition=models.Q(status="success"),
                name="deployment_success_window",
            ),
            models.Index(
                fields=["service", "environment", "started_at"],
                condition=models.Q(status="success"),
                name="deployment_success_started",
            ),
            models.Index(fields=["service", "environment", "commit"], name="deployment_commit"),
            models.Index(
                fields=["service", "environment", "recovered_at"],
                condition=models.Q(is_failed=True),
                name="deployment_failed_recovery",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.external_id} {self.status}"

    @property
    def recovery_s(self) -> float | None:
        if self.recovered_at is None or self.finished_at is None:
            return None
        return (self.recovered_at - self.finished_at).total_seconds()


class DeploymentCommit(models.Model):
    """One change a deployment ships (derived): a pull request when PR data exists, else one commit."""

    class Origin(models.TextChoices):
        LISTED = "listed", "listed in the deployment's `commits`"
        PULL_REQUEST = "pr", "pull request merged since the previous successful deployment"
        HEAD = "head", "the deployed commit itself (no list, no PR data)"

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="changes")
    sha = models.CharField(max_length=40)
    authored_at = models.DateTimeField(null=True, blank=True)  # start of the change (first commit of a PR)
    pr = models.ForeignKey(PullRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    origin = models.CharField(max_length=10, choices=Origin.choices)
    is_revert = models.BooleanField(default=False)
    is_hotfix = models.BooleanField(default=False)
    reverts_pr = models.ForeignKey(PullRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reverts_sha = models.CharField(max_length=40, blank=True)
    # Set only on the first successful deployment of the service and environment that ships the change.
    lead_time_s = models.FloatField(null=True, blank=True)
    # Copies of the deployment's service, environment and finished_at (null while it is in progress), so the
    # dashboard's window over changes is one index range instead of a join with a million deployments.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="+", db_index=False)
    deployed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["authored_at", "sha"]
        constraints = [models.UniqueConstraint(fields=["deployment", "sha"], name="deployment_commit_unique")]
        indexes = [
            models.Index(fields=["sha"], name="deployment_commit_sha"),
            models.Index(fields=["pr"], name="deployment_commit_pr"),
            # Covers the dashboard's lead-time aggregates (figures, trend, histogram, breakdown): index-only scans.
            models.Index(
                fields=["service", "environment", "deployed_at"],
                include=["deployment", "lead_time_s", "authored_at", "pr"],
                name="deployment_commit_window",
            ),
        ]

    def __str__(self) -> str:
        return self.sha[:12]


class CanaryStep(models.Model):
    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="canary_steps")
    position = models.PositiveIntegerField()
    weight = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    analysis = models.TextField(blank=True)
    aborted = models.BooleanField(default=False)

    class Meta:
        ordering = ["deployment", "position"]
        constraints = [models.UniqueConstraint(fields=["deployment", "position"], name="canary_step_unique")]

    def __str__(self) -> str:
        return f"{self.weight}%{' aborted' if self.aborted else ''}"


class Incident(models.Model):
    class AttributionRule(models.TextChoices):
        NONE = "", "not attributed"
        EXPLICIT = "explicit", "caused_by_deployment or caused_by_commit"
        ROLLBACK = "rollback", "the deployment rolled back while it was open"
        REVERT = "revert", "the deployment that shipped the change reverted while it was open"
        HOTFIX = "hotfix", "the live deployment, when a hotfix shipped while it was open"
        TIME_WINDOW = "time-window", "latest successful deployment within the maximum gap before it opened"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="incidents")
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="incidents")
    external_id = models.CharField(max_length=200)
    opened_at = models.DateTimeField()
    detected_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    severity = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=500, blank=True)
    caused_by_deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.SET_NULL, related_name="caused_incidents"
    )
    # The external id as posted: it may name a deployment that has not arrived yet.
    caused_by_deployment_ref = models.CharField(max_length=200, blank=True)
    caused_by_commit = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=30, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # derived
    attributed_deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attributed_incidents"
    )
    attribution_rule = models.CharField(max_length=20, blank=True, choices=AttributionRule.choices)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["service", "external_id"], name="incident_unique_external_id")]
        indexes = [
            models.Index(fields=["service", "environment", "opened_at"], name="incident_window"),
            models.Index(fields=["service", "environment", "detected_at"], name="incident_detected"),
            models.Index(fields=["service", "environment", "resolved_at"], name="incident_resolved"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.external_id}"


class FlagFlip(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="flag_flips")
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="flag_flips")
    external_id = models.CharField(max_length=200)
    flag_key = models.CharField(max_length=300)
    flipped_at = models.DateTimeField()
    enabled = models.BooleanField(null=True, blank=True)  # the flag's state after the flip, when known
    kill_switch = models.BooleanField(default=False)
    comment = models.TextField(blank=True)
    source = models.CharField(max_length=30, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-flipped_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["service", "external_id"], name="flag_flip_unique_external_id")]
        indexes = [models.Index(fields=["service", "environment", "flipped_at"], name="flag_flip_window")]

    def __str__(self) -> str:
        return f"{self.flag_key}{' (kill switch)' if self.kill_switch else ''}"


class GateRun(models.Model):
    """One run of a CI gate (a job, a check, a workflow) on one commit: the history flakiness is read from."""

    class Status(models.TextChoices):
        PASS = "pass"  # noqa: S105 - a state, not a password
        FAIL = "fail"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="gate_runs")
    gate = models.CharField(max_length=300)
    run_id = models.CharField(max_length=200, blank=True)
    sha = models.CharField(max_length=40)
    attempt = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=4, choices=Status.choices)
    duration_s = models.FloatField(default=0)
    started_at = models.DateTimeField()
    queue_s = models.FloatField(null=True, blank=True)  # waiting for a runner before it started (CI queue time)
    external_id = models.CharField(max_length=200)
    source = models.CharField(max_length=30, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["service", "external_id"], name="gate_run_unique_external_id")]
        indexes = [
            # Covers the flaky board's window (and the rollups' edge days) for index-only scans.
            models.Index(
                fields=["service", "started_at"],
                include=["id", "gate", "sha", "attempt", "status", "duration_s", "queue_s"],
                name="gate_run_window_runs",
            ),
            models.Index(fields=["service", "gate", "sha"], name="gate_run_gate_sha"),
        ]

    def __str__(self) -> str:
        return f"{self.gate}@{self.sha[:12]} #{self.attempt}: {self.status}"


class GateRunDay(models.Model):
    """Gate runs counted per service, gate and UTC day: the dashboard's pass/fail stacks over long windows.

    Kept by PostgreSQL triggers on ``metrics_gaterun`` (migration 0003) in the same transaction as every
    insert, update and delete, whichever path wrote the run: never written by Python.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    gate = models.CharField(max_length=300)
    day = models.DateField()
    passed = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()

    class Meta:
        ordering = ["day", "gate"]
        # Covering: a window's counts are read by index-only scans.
        constraints = [
            models.UniqueConstraint(
                fields=["service", "day", "gate"], include=["passed", "failed"], name="gate_run_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gate} {self.day}: {self.passed} pass, {self.failed} fail"


class QueueTimeDay(models.Model):
    """How many gate runs of a service waited exactly ``queue_s`` seconds on a UTC day (kept by the same triggers).

    CI queue times come in whole seconds (GitHub's timestamps), so a year of runs folds into a few thousand
    (value, runs) rows from which exact continuous percentiles are read (``metrics.selectors.ci_queue_time``).
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    queue_s = models.FloatField()
    runs = models.PositiveIntegerField()

    class Meta:
        ordering = ["day", "queue_s"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "day", "queue_s"], include=["runs"], name="queue_time_day_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.runs} runs queued {self.queue_s} s"


class GateQuarantine(models.Model):
    """A gate whose failures do not block a release checklist until ``expires_at`` (it still runs and records)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="gate_quarantines")
    gate = models.CharField(max_length=300)
    owner = models.CharField(max_length=200)
    reason = models.TextField()
    expires_at = models.DateTimeField()
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)  # ended before its expiry
    lifted_by = models.CharField(max_length=200, blank=True)
    expiry_recorded_at = models.DateTimeField(null=True, blank=True)  # the ledger saw it expire

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["service", "gate", "expires_at"], name="quarantine_active")]

    def __str__(self) -> str:
        return f"{self.gate} until {self.expires_at:%Y-%m-%d}"


class EventDelivery(models.Model):
    """A native webhook body (Argo Rollouts, Flagger, LaunchDarkly, Unleash, PagerDuty), kept before it is used.

    A body that could not be used stays here with its error, so it can be fixed and replayed.
    """

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        IGNORED = "ignored"  # understood, but nothing Gatehouse measures (an acknowledgement, a flag edit)
        FAILED = "failed"

    source = models.CharField(max_length=30, choices=Source.choices)
    service_hint = models.CharField(max_length=200, blank=True)
    environment_hint = models.CharField(max_length=200, blank=True)
    commit_hint = models.CharField(max_length=40, blank=True)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    results = models.JSONField(default=list, blank=True)
    actor = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "event deliveries"

    def __str__(self) -> str:
        return f"{self.source} {self.received_at:%Y-%m-%d %H:%M} {self.status}"
