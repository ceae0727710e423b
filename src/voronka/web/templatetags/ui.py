"""Small formatting filters shared by every screen (``{% load ui %}``)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import dateformat, translation

from voronka.core.formatting import format_days, format_duration, format_since, show_money

register = template.Library()
register.filter("money", show_money)  # the same filters as in deal_tags, for screens outside deals
register.filter("duration", format_duration)
register.filter("days", format_days)
register.filter("since", format_since)


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


# Safe Markdown: what the stage instructions, timeline notes and help texts may use. Everything else (raw
# HTML, scripts, event handlers, javascript: links, images) is removed by nh3 after rendering.
MARKDOWN_TAGS = {"p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3",
                 "h4", "h5", "h6", "hr", "del"}
MARKDOWN_ATTRIBUTES = {"a": {"href", "title"}}
MARKDOWN_SCHEMES = {"http", "https", "mailto", "tel"}


@register.filter(is_safe=True)
def markdown(text: str | None) -> str:
    """Markdown → sanitised HTML (``{{ stage.instructions|markdown }}``); links open safely."""
    import markdown as md
    import nh3
    from django.utils.safestring import mark_safe

    if not text:
        return ""
    # Raw HTML in the source is dropped by nh3 (scripts with their content); headings start at h3.
    rendered = md.markdown(str(text), extensions=["sane_lists", "nl2br"], output_format="html")
    for level in (1, 2):
        rendered = rendered.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return mark_safe(nh3.clean(rendered, tags=MARKDOWN_TAGS, attributes=MARKDOWN_ATTRIBUTES,
                               url_schemes=MARKDOWN_SCHEMES, link_rel="noopener noreferrer nofollow"))
