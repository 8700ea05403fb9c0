from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from evidence.models import Artifact
from releases.models import Commit, Service


class Release(models.Model):
    """One release of a service: a commit judged by a versioned checklist."""

    class Status(models.TextChoices):
        BLOCKED = "blocked"  # some item fails or is pending
        READY = "ready"  # every item passes or is waived: may be approved
        APPROVED = "approved"  # frozen: later evidence becomes a new revision, visibly

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="releases")
    version = models.CharField(max_length=100)
    commit = models.ForeignKey(Commit, on_delete=models.PROTECT, related_name="releases")
    checklist_name = models.CharField(max_length=40)
    checklist_version = models.PositiveIntegerField()
    checklist_source = models.CharField(max_length=200, help_text="builtin, or repo path@sha")
    checklist_text = models.TextField(help_text="the checklist file exactly as evaluated")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BLOCKED)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["service", "version"], name="release_unique_version")]

    def __str__(self) -> str:
        return f"{self.service} {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("release-detail", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        return self.status == self.Status.APPROVED


class ReleaseItem(models.Model):
    class State(models.TextChoices):
        PASS = "pass"  # noqa: S105 - a state, not a password
        FAIL = "fail"
        PENDING = "pending"
        WAIVED = "waived"

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    item_id = models.CharField(max_length=63)
    title = models.CharField(max_length=300)
    gate = models.TextField(blank=True)
    owner_role = models.CharField(max_length=50, blank=True)
    evidence_link_required = models.BooleanField(default=False)
    soc2 = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    figure = models.TextField(blank=True, help_text="the exact figure that decided the state")
    evidence = models.ManyToManyField(Artifact, blank=True, related_name="release_items")
    quarantined = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["release", "item_id"], name="release_item_unique")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.state}"

    @property
    def is_manual(self) -> bool:
        return not self.gate


class SignOff(models.Model):
    item = models.ForeignKey(ReleaseItem, on_delete=models.PROTECT, related_name="signoffs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    comment = models.TextField()
    evidence_url = models.URLField(blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.item} by {self.user}"


class Waiver(models.Model):
    item = models.ForeignKey(ReleaseItem, on_delete=models.PROTECT, related_name="waivers")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    expires_at = models.DateTimeField()
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"waiver of {self.item}"

    @property
    def is_active(self) -> bool:
        return self.approved_at is not None and self.expires_at > timezone.now()
