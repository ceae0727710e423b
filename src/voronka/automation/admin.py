"""Notifications in the Django admin: read-only (the services write them; users read and mark them)."""

from django.contrib import admin

from voronka.automation.models import Notification, NotificationPreference
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
