"""Read-only admin views: events change through the API (audited), derived fields through metrics.derive."""

from django.contrib import admin

from metrics.models import (
    CanaryStep,
    Deployment,
    DeploymentCommit,
    EventDelivery,
    FlagFlip,
    GateQuarantine,
    GateRun,
    Incident,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ChangeInline(admin.TabularInline):
    model = DeploymentCommit
    extra = 0
    fields = ("sha", "origin", "pr", "authored_at", "lead_time_s", "is_revert", "is_hotfix")
    readonly_fields = fields
    can_delete = False


class CanaryInline(admin.TabularInline):
    model = CanaryStep
    extra = 0
    readonly_fields = ("position", "weight", "started_at", "finished_at", "analysis", "aborted")
    can_delete = False


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "service", "environment", "status", "finished_at", "is_failed", "failure_rule",
                    "recovery_rule", "rework_rule", "source")  # fmt: skip
    list_filter = ("service", "environment", "status", "is_failed", "source")
    search_fields = ("external_id", "commit__sha", "build")
    inlines = (ChangeInline, CanaryInline)


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "service", "environment", "opened_at", "resolved_at", "severity",
                    "attributed_deployment", "attribution_rule", "source")  # fmt: skip
    list_filter = ("service", "environment", "attribution_rule", "source")
    search_fields = ("external_id", "title")


@admin.register(FlagFlip)
class FlagFlipAdmin(ReadOnlyAdmin):
    list_display = ("flag_key", "service", "environment", "flipped_at", "enabled", "kill_switch", "source")
    list_filter = ("service", "environment", "kill_switch", "source")


@admin.register(GateRun)
class GateRunAdmin(ReadOnlyAdmin):
    list_display = ("gate", "service", "sha", "attempt", "status", "duration_s", "queue_s", "started_at")
    list_filter = ("service", "status", "source")
    search_fields = ("gate", "sha", "run_id")


@admin.register(GateQuarantine)
class GateQuarantineAdmin(ReadOnlyAdmin):
    list_display = ("gate", "service", "owner", "expires_at", "lifted_at", "created_by")
    list_filter = ("service",)


@admin.register(EventDelivery)
class EventDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("source", "service_hint", "received_at", "status", "error")
    list_filter = ("source", "status")
