from django.contrib import admin

from evidence.models import Artifact, Component, Evidence, Finding, TestCase


@admin.register(Artifact)
class ArtifactAdmin(admin.ModelAdmin):
    list_display = ("sha256", "service", "kind", "format", "status", "received_at", "uploader")
    list_filter = ("status", "kind", "service")
    search_fields = ("sha256", "original_name", "commit__sha")
    readonly_fields = [field.name for field in Artifact._meta.fields]

    # Raw uploads are immutable evidence: readable here, never edited or deleted.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ("artifact", "service", "commit", "kind", "format", "created_at")
    list_filter = ("kind", "service")
    raw_id_fields = ("artifact", "commit")


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("rule_id", "severity", "category", "package", "location")
    list_filter = ("severity", "category")
    raw_id_fields = ("evidence",)


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "purl", "licenses")
    search_fields = ("name", "purl")
    raw_id_fields = ("evidence",)


@admin.register(TestCase)
class TestCaseAdmin(admin.ModelAdmin):
    list_display = ("name", "suite", "status", "duration_s", "attempts")
    list_filter = ("status",)
    raw_id_fields = ("evidence",)
