"""Notifications in the Django admin: read-only (the services write them; users read and mark them)."""

from django.contrib import admin

from voronka.automation.models import JobRun, Notification, NotificationPreference, WorkerHeartbeat
from voronka.core.admin import ReadOnlyAdminMixin


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "recipient", "event_type", "title", "in_app", "read_at", "emailed_at", "created_at")
    list_filter = ("event_type", "in_app")
    list_select_related = ("recipient",)
    search_fields = ("dedupe_key", "title")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "event_type", "delivery")
    list_filter = ("event_type", "delivery")
    list_select_related = ("user",)


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: written by the scheduler (one row per job and slot)."""

    list_display = ("job", "slot", "status", "attempts", "host", "started_at", "finished_at")
    list_filter = ("job", "status")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("host", "pid", "worker_id", "runs_scheduler", "started_at", "last_seen", "stopped_at")
