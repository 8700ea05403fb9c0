from django.contrib import admin

from releases.models import (
    Build,
    CheckRun,
    Commit,
    Environment,
    PullRequest,
    PullRequestCommit,
    Review,
    Service,
    WebhookDelivery,
)


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


@admin.register(PullRequest)
class PullRequestAdmin(admin.ModelAdmin):
    list_display = ("number", "service", "title", "author", "merged_at", "merged_by")
    list_filter = ("service",)
    search_fields = ("title", "author", "merge_commit_sha", "head_sha")


@admin.register(PullRequestCommit)
class PullRequestCommitAdmin(admin.ModelAdmin):
    list_display = ("sha", "pull_request", "author", "authored_at")
    raw_id_fields = ("pull_request",)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("pull_request", "reviewer", "state", "commit_id", "submitted_at")
    raw_id_fields = ("pull_request",)


@admin.register(CheckRun)
class CheckRunAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "head_sha", "status", "conclusion", "completed_at")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("delivery_id", "event", "action", "received_at", "processed_at", "error")
    list_filter = ("event",)
