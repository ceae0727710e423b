"""Deals in the admin are read-only: stage, status, owner and amount change only through deals.services."""

from django.contrib import admin

from voronka.core.readonly_admin import ReadOnlyAdmin, ReadOnlyTabularInline
from voronka.deals import models


class DealLineInline(ReadOnlyTabularInline):
    model = models.DealLine
    raw_id_fields = ("product",)


@admin.register(models.Deal)
class DealAdmin(ReadOnlyAdmin):
    list_display = ("title", "pipeline", "stage", "client", "owner", "amount", "status", "created_at")
    list_filter = ("status", "pipeline", "is_new_client")
    search_fields = ("title", "client__name")
    raw_id_fields = ("client", "contact", "owner", "campaign")
    list_select_related = ("pipeline", "stage", "client", "owner")
    readonly_fields = ("version", "stage_entered_at", "furthest_stage", "owner_team")
    inlines = [DealLineInline]


@admin.register(models.DealLine)
class DealLineAdmin(ReadOnlyAdmin):
    list_display = ("deal", "product", "quantity", "price", "discount_pct")
    search_fields = ("deal__title", "product__name")
    raw_id_fields = ("deal", "product")
    list_select_related = ("deal", "product")


@admin.register(models.StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    """The log is append-only."""

    list_display = ("deal", "kind", "from_stage", "to_stage", "by_user", "at", "seconds_in_from_stage")
    list_filter = ("kind",)
    search_fields = ("deal__title",)
    raw_id_fields = ("deal", "from_stage", "to_stage", "by_user")
    list_select_related = ("deal", "from_stage", "to_stage", "by_user")
