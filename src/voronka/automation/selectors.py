"""Reads of the notification centre: always the actor's own rows."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from voronka.automation.models import DEFAULT_DELIVERY, EventType, Notification, NotificationPreference


def unread_count(*, actor) -> int:
    """The bell: one COUNT over a partial index."""
    if not getattr(actor, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=actor, in_app=True, read_at=None).count()


def list_notifications(*, actor) -> QuerySet[Notification]:
    """The user's in-app notifications: unread first, then the newest."""
    return (Notification.objects.filter(recipient=actor, in_app=True)
            .annotate(_read=Case(When(read_at=None, then=Value(0)), default=Value(1), output_field=IntegerField()))
            .order_by("_read", "-created_at", "-id"))


def preferences_of(*, actor) -> dict[str, str]:
    """Every event type's delivery for the user (saved choices over the defaults)."""
    saved = dict(NotificationPreference.objects.filter(user=actor).values_list("event_type", "delivery"))
    return {t.value: saved.get(t.value, DEFAULT_DELIVERY[t.value]) for t in EventType}


def delivery_for(*, user, event_type: str) -> str:
    saved = (NotificationPreference.objects.filter(user=user, event_type=event_type)
             .values_list("delivery", flat=True).first())
    return saved or DEFAULT_DELIVERY[event_type]
