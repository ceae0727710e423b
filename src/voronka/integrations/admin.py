"""Webhooks in the Django admin: read-only (Settings › Webhooks and the API write them, with the audit)."""

from django.contrib import admin

from voronka.core.admin import ReadOnlyAdminMixin
from voronka.integrations.models import FormSubmission, LeadForm, WebhookDelivery, WebhookSubscription


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


@admin.register(LeadForm)
class LeadFormAdmin(admin.ModelAdmin):
    """Web forms are configuration (like pipelines): administrators edit them here."""

    list_display = ("slug", "title", "pipeline", "assign_mode", "assignee", "team", "is_active")
    list_filter = ("is_active", "assign_mode")
    list_select_related = ("pipeline", "assignee", "team")


@admin.register(FormSubmission)
class FormSubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "form", "status", "reason", "ip", "deal", "existing_client")
    list_filter = ("status", "reason", "form")
    list_select_related = ("form", "deal")
