from django.contrib import admin

from releases.models import Build, Commit, Environment, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "repository", "created_at")
    search_fields = ("slug", "name", "repository")


@admin.register(Environment)
class EnvironmentAdmin(admin.ModelAdmin):
    list_display = ("name", "is_production")


@admin.register(Commit)
class CommitAdmin(admin.ModelAdmin):
    list_display = ("sha", "service", "author", "authored_at", "first_seen_at")
    list_filter = ("service",)
    search_fields = ("sha", "message")


@admin.register(Build)
class BuildAdmin(admin.ModelAdmin):
    list_display = ("external_id", "provider", "service", "commit", "status", "finished_at")
    list_filter = ("service", "provider", "status")
