from django.contrib import admin

from voronka.audit.models import AuditEntry
from voronka.core.admin import ReadOnlyAdminMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit trail is written by ``events.record_event`` only."""

    list_display = ("at", "actor", "action", "object_type", "object_id", "field", "old", "new")
    list_filter = ("action", "object_type")
    list_select_related = ("actor",)
