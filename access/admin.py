from django.contrib import admin

from access.models import ApiToken, AuditorGrant


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash", "created_at", "last_used_at")
    filter_horizontal = ("services",)


@admin.register(AuditorGrant)
class AuditorGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "window_from", "window_to", "expires_at", "granted_by")
    filter_horizontal = ("services",)
