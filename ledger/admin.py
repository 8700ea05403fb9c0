from django.contrib import admin

from ledger.models import LedgerCheckpoint, LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ("seq", "recorded_at", "actor", "action", "subject_type", "subject_id")
    list_filter = ("action", "subject_type")
    search_fields = ("actor", "subject_id", "entry_hash")

    # The ledger is append-only: the admin can read it, never edit it.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerCheckpoint)
class LedgerCheckpointAdmin(admin.ModelAdmin):
    list_display = ("seq", "created_at", "head_hash", "count", "key_fingerprint")

    # Checkpoints are signed statements: readable here, never edited.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
