from django.conf import settings
from django.db import models


class BundleExport(models.Model):
    """One requested evidence bundle: its scope, the job building it, and the finished file."""

    class Kind(models.TextChoices):
        RELEASE = "release"
        PERIOD = "period"

    class Status(models.TextChoices):
        QUEUED = "queued"
        BUILDING = "building"
        READY = "ready"
        FAILED = "failed"
        EXPIRED = "expired"  # built, then its file was removed after GATEHOUSE_BUNDLE_KEEP_DAYS

    kind = models.CharField(max_length=10, choices=Kind.choices)
    scope = models.JSONField(help_text="release id, or services + from/to + sample seed/size")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor = models.CharField(max_length=200, help_text="ledger actor of the requester")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    bytes_total = models.BigIntegerField(default=0, help_text="artifact bytes to copy")
    bytes_done = models.BigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True, help_text="inside GATEHOUSE_BUNDLE_DIR")
    size = models.BigIntegerField(null=True, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.kind} bundle #{self.pk}"

    @property
    def progress_pct(self) -> int:
        if self.status in (self.Status.READY, self.Status.EXPIRED):
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(100 * self.bytes_done / self.bytes_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED, self.Status.EXPIRED)
