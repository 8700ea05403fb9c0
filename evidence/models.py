from django.db import models
from django.urls import reverse

from access.models import ApiToken
from releases.models import Build, Commit, Environment, Service


class Artifact(models.Model):
    """A raw upload: immutable, content-addressed by SHA-256, kept whether or not it parses."""

    class Status(models.TextChoices):
        RECEIVED = "received"
        QUEUED = "queued"
        PARSED = "parsed"
        FAILED = "failed"

    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    media_type = models.CharField(max_length=200, blank=True)
    content_encoding = models.CharField(max_length=20, blank=True, help_text="gzip when uploaded compressed")
    original_name = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=40, blank=True, db_index=True)
    format = models.CharField(max_length=60, blank=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="artifacts")
    commit = models.ForeignKey(Commit, on_delete=models.PROTECT, related_name="artifacts")
    build = models.ForeignKey(Build, null=True, blank=True, on_delete=models.PROTECT, related_name="artifacts")
    environment = models.ForeignKey(
        Environment, null=True, blank=True, on_delete=models.PROTECT, related_name="artifacts"
    )
    uploaded_by = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.PROTECT, related_name="artifacts")
    uploader = models.CharField(max_length=200, help_text="ledger actor: token:<prefix>, user:<name> or cli")
    idempotency_key = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    error = models.TextField(blank=True)
    parsed_at = models.DateTimeField(null=True, blank=True)
    parse_attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["service", "commit", "sha256"], name="artifact_unique_bytes_per_commit"),
            models.UniqueConstraint(
                fields=["service", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="artifact_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind or 'artifact'} {self.sha256[:12]}"

    def get_absolute_url(self) -> str:
        return reverse("artifact-detail", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.QUEUED)


class Evidence(models.Model):
    """The normalised summary a parser extracted from one artifact (keys: README "Summary keys")."""

    artifact = models.OneToOneField(Artifact, on_delete=models.PROTECT, related_name="evidence")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="evidence")
    commit = models.ForeignKey(Commit, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=40)
    format = models.CharField(max_length=60)
    summary = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "evidence"
        indexes = [models.Index(fields=["commit", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.commit}"


class Finding(models.Model):
    # Detail rows are written only by the loader, with their evidence, by COPY: a per-row FK trigger
    # would double the load time of a 200k-row report, so integrity is the loader's (db_constraint=False).
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="findings", db_constraint=False)
    category = models.CharField(max_length=20)
    severity = models.CharField(max_length=10)
    rule_id = models.CharField(max_length=300)
    title = models.TextField(blank=True)
    location = models.TextField(blank=True)
    line = models.IntegerField(null=True, blank=True)
    package = models.CharField(max_length=300, blank=True)
    installed_version = models.CharField(max_length=200, blank=True)
    fixed_version = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.severity} {self.rule_id}"


class Component(models.Model):
    # Detail rows are written only by the loader, with their evidence, by COPY: a per-row FK trigger
    # would double the load time of a 200k-row report, so integrity is the loader's (db_constraint=False).
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="components", db_constraint=False)
    name = models.TextField()
    version = models.CharField(max_length=300, blank=True)
    purl = models.TextField(blank=True)
    licenses = models.TextField(blank=True)
    component_type = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


class TestCase(models.Model):
    # Detail rows are written only by the loader, with their evidence, by COPY: a per-row FK trigger
    # would double the load time of a 200k-row report, so integrity is the loader's (db_constraint=False).
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="test_cases", db_constraint=False)
    suite = models.TextField(blank=True)
    name = models.TextField()
    classname = models.TextField(blank=True)
    status = models.CharField(max_length=10)
    duration_s = models.FloatField(default=0)
    attempts = models.PositiveIntegerField(default=1)
    message = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.classname}.{self.name}: {self.status}"
