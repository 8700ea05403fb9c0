from django.conf import settings
from django.db import models

from releases.models import Service


class Scope(models.TextChoices):
    INGEST = "ingest", "upload artifacts"
    RELEASES = "releases", "create and read releases"
    EVENTS = "events", "post deployments, incidents, flag flips and gate runs"


ALL_SCOPES = [scope.value for scope in Scope]


class ApiToken(models.Model):
    """A machine credential. Only a hash of the secret is stored; the token is shown once."""

    name = models.CharField(max_length=200)
    prefix = models.CharField(max_length=12, unique=True, help_text="public part, used to find the token")
    secret_hash = models.CharField(max_length=64)
    services = models.ManyToManyField(Service, related_name="api_tokens")
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def actor(self) -> str:
        return f"token:{self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, *, scope: str, service: Service) -> bool:
        return scope in self.scopes and self.services.filter(pk=service.pk).exists()


class AuditorGrant(models.Model):
    """What an auditor may read: some services, evidence from an observation window, until a date."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auditor_grants")
    services = models.ManyToManyField(Service, related_name="auditor_grants")
    window_from = models.DateField(help_text="first day of the observation window")
    window_to = models.DateField(help_text="last day of the observation window")
    expires_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.window_from}..{self.window_to} until {self.expires_at:%Y-%m-%d}"
