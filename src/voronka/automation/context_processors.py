"""The bell's unread count for the top bar: counted only when a page renders it (one COUNT query)."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from voronka.automation.selectors import unread_count


def notifications(request) -> dict:
    user = getattr(request, "user", None)
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(actor=user))}
