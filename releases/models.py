from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

sha_validator = RegexValidator(r"^[0-9a-f]{40}$", "a full 40-character lowercase hex commit SHA")
repo_validator = RegexValidator(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", "a GitHub repository as owner/name")


class Service(models.Model):
    """A deployable unit: the thing a release, a deployment and an artifact belong to."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    repository = models.CharField(max_length=200, blank=True, validators=[repo_validator])
    cosign_public_key = models.TextField(
        blank=True, help_text="PEM public key (cosign.pub): uploaded signatures and attestations are verified with it"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("service-detail", args=[self.slug])


class Environment(models.Model):
    name = models.SlugField(unique=True)
    is_production = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Commit(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="commits")
    sha = models.CharField(max_length=40, validators=[sha_validator])
    message = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    authored_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-first_seen_at"]
        constraints = [models.UniqueConstraint(fields=["service", "sha"], name="commit_unique_per_service")]

    def __str__(self) -> str:
        return self.sha[:12]

    @property
    def short_sha(self) -> str:
        return self.sha[:12]


class Build(models.Model):
    """One CI run that produced artifacts for a commit."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCESS = "success"
        FAILURE = "failure"
        CANCELLED = "cancelled"
        UNKNOWN = "unknown"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="builds")
    commit = models.ForeignKey(Commit, on_delete=models.CASCADE, related_name="builds")
    provider = models.CharField(max_length=50, default="ci")
    external_id = models.CharField(max_length=200)
    url = models.URLField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNKNOWN)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["service", "provider", "external_id"], name="build_unique_external_id")
        ]

    def __str__(self) -> str:
        return f"{self.provider}#{self.external_id}"


class PullRequest(models.Model):
    """A merged (or open) pull request; the unit of change when GitHub data is available."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="pull_requests")
    number = models.PositiveIntegerField()
    title = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=20, blank=True)  # open | closed
    created_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by = models.CharField(max_length=200, blank=True)
    head_sha = models.CharField(max_length=40, blank=True)
    merge_commit_sha = models.CharField(max_length=40, blank=True, db_index=True)
    base_ref = models.CharField(max_length=200, blank=True)
    is_revert = models.BooleanField(default=False)
    is_hotfix = models.BooleanField(default=False)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-merged_at", "-number"]
        constraints = [models.UniqueConstraint(fields=["service", "number"], name="pr_unique_per_service")]

    def __str__(self) -> str:
        return f"{self.service}#{self.number}"


class PullRequestCommit(models.Model):
    """The original commits of a PR, kept even when it was squash- or rebase-merged."""

    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="commits")
    sha = models.CharField(max_length=40)
    author = models.CharField(max_length=200, blank=True)
    authored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pull_request", "sha"], name="pr_commit_unique")]

    def __str__(self) -> str:
        return self.sha[:12]


class Review(models.Model):
    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="reviews")
    external_id = models.BigIntegerField()
    reviewer = models.CharField(max_length=200)
    state = models.CharField(max_length=30)  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    commit_id = models.CharField(max_length=40, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at"]
        constraints = [models.UniqueConstraint(fields=["pull_request", "external_id"], name="review_unique")]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.state}"


class CheckRun(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="check_runs")
    external_id = models.BigIntegerField()
    head_sha = models.CharField(max_length=40, db_index=True)
    name = models.CharField(max_length=300)
    status = models.CharField(max_length=30)
    conclusion = models.CharField(max_length=30, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "external_id"], name="check_run_unique")]

    def __str__(self) -> str:
        return f"{self.name}: {self.conclusion or self.status}"


class WebhookDelivery(models.Model):
    """A GitHub webhook payload, stored before it is processed so a failed handler can be replayed."""

    delivery_id = models.CharField(max_length=100, unique=True)
    event = models.CharField(max_length=50)
    action = models.CharField(max_length=50, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event}.{self.action} {self.delivery_id}"
