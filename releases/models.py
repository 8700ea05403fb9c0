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
