from django.contrib import admin

from voronka.activities import models


@admin.register(models.Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "assignee", "due_date", "status", "outcome", "deal", "client")
    list_filter = ("status", "outcome", "kind")
    search_fields = ("title",)
    raw_id_fields = ("deal", "client", "assignee", "created_by", "completed_by", "follow_up")
    list_select_related = ("assignee", "deal", "client")


@admin.register(models.Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("kind", "at", "author", "deal", "client")
    list_filter = ("kind",)
    raw_id_fields = ("deal", "client", "author")
    list_select_related = ("author", "deal", "client")
