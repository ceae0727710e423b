"""Tasks and the timeline in the admin are read-only: outcomes and the open-task rule live in the services."""

from django.contrib import admin

from voronka.activities import models
from voronka.core.readonly_admin import ReadOnlyAdmin


@admin.register(models.Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "assignee", "due_date", "status", "outcome", "deal", "client")
    list_filter = ("status", "outcome", "kind")
    search_fields = ("title", "deal__title", "client__name")
    raw_id_fields = ("deal", "client", "assignee", "created_by", "completed_by", "follow_up", "lost_reason")
    list_select_related = ("assignee", "deal", "client")


@admin.register(models.Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("kind", "at", "author", "deal", "client")
    list_filter = ("kind",)
    search_fields = ("body", "deal__title", "client__name")
    raw_id_fields = ("deal", "client", "author")
    list_select_related = ("author", "deal", "client")
