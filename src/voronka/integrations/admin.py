"""Webhooks in the Django admin: read-only (Settings › Webhooks and the API write them, with the audit)."""

from django.contrib import admin

from voronka.core.admin import ReadOnlyAdminMixin
from voronka.integrations.models import WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "target_url", "is_active", "consecutive_failures", "paused_at")
    list_filter = ("is_active",)
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "subscription", "event_type", "event_id", "status", "attempts", "last_status_code",
                    "next_attempt_at")
    list_filter = ("status", "event_type")
    list_select_related = ("subscription",)
