from django.contrib import admin

from voronka.events.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by services and the dispatcher only."""

    list_display = ("created_at", "verb", "target_type", "target_id", "actor", "dispatched_at", "attempts")
    list_filter = ("verb", "target_type")
    list_select_related = ("actor",)
    search_fields = ("target_id",)
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
