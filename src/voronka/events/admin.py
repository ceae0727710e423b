from django.contrib import admin

from voronka.core.admin import ReadOnlyAdminMixin
from voronka.events.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the outbox is written by services and the dispatcher only."""

    list_display = ("created_at", "verb", "target_type", "target_id", "actor", "dispatched_at", "attempts")
    list_filter = ("verb", "target_type")
    list_select_related = ("actor",)
    search_fields = ("target_id",)
