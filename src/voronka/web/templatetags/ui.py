"""Small formatting filters shared by every screen (``{% load ui %}``)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import dateformat, translation

register = template.Library()


@register.filter
def day_month(value: dt.date | None) -> str:
    """``сб, 21 ноя`` / ``Sat, 21 Nov``: a short weekday and date; Russian abbreviations are lowercase."""
    if not value:
        return ""
    text = dateformat.format(value, "D, j M")
    return text.lower() if (translation.get_language() or "").startswith("ru") else text


@register.filter
def short_datetime(value: dt.datetime | None) -> str:
    """``1 дек 2026, 10:30`` / ``1 Dec 2026, 10:30`` in the current time zone (timeline entries)."""
    if not value:
        return ""
    from django.utils import timezone

    text = dateformat.format(timezone.localtime(value) if timezone.is_aware(value) else value, "j M Y, H:i")
    return text.lower() if (translation.get_language() or "").startswith("ru") else text
