from django.contrib import admin

from voronka.deals import models


class DealLineInline(admin.TabularInline):
    model = models.DealLine
    extra = 0
    raw_id_fields = ("product",)


@admin.register(models.Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ("title", "pipeline", "stage", "client", "owner", "amount", "status", "created_at")
    list_filter = ("status", "pipeline", "is_new_client")
    search_fields = ("title", "client__name")
    raw_id_fields = ("client", "contact", "owner", "campaign")
    list_select_related = ("pipeline", "stage", "client", "owner")
    readonly_fields = ("version", "stage_entered_at", "furthest_position")
    inlines = [DealLineInline]


@admin.register(models.DealLine)
class DealLineAdmin(admin.ModelAdmin):
    list_display = ("deal", "product", "quantity", "price", "discount_pct")
    raw_id_fields = ("deal", "product")
    list_select_related = ("deal", "product")


@admin.register(models.StageTransition)
class StageTransitionAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ("deal", "kind", "from_stage", "to_stage", "by_user", "at", "seconds_in_from_stage")
    list_filter = ("kind",)
    list_select_related = ("deal", "from_stage", "to_stage", "by_user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
