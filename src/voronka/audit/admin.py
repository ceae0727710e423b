"""The audit trail is read-only everywhere, the admin included."""

from django.contrib import admin

from voronka.audit.models import AuditEntry
from voronka.core.admin import ReadOnlyAdminMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit trail is written by ``events.record_event`` only."""

    list_display = ("at", "actor", "action", "object_type", "object_id", "field", "old", "new")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "action", "actor__username")
    raw_id_fields = ("actor",)
    list_select_related = ("actor",)
