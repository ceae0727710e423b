"""Integrations in the Django admin: read-only (Settings, the API, the hooks and the user write them, with the audit)."""

from django.contrib import admin

from voronka.core.admin import ReadOnlyAdminMixin
from voronka.integrations.models import (
    CalendarFeed,
    CallEvent,
    FormSubmission,
    LeadForm,
    MailMessage,
    WebhookDelivery,
    WebhookSubscription,
)


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


@admin.register(CallEvent)
class CallEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event_id", "direction", "status", "caller", "callee", "started_at", "duration", "new_lead")
    list_filter = ("direction", "status", "new_lead")


@admin.register(MailMessage)
class MailMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("sender", "subject", "received_at", "new_lead")
    list_filter = ("new_lead",)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "created_at", "last_used_at", "revoked_at")
    exclude = ("token_hash",)
