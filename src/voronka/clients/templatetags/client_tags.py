"""Display helpers of the client screens."""

from __future__ import annotations

import phonenumbers
from django import template

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """``+79161234567`` → ``+7 916 123-45-67`` (anything unparsable is shown as stored)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "RU")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.simple_tag(takes_context=True)
def query_with(context, **params) -> str:
    """The current query string with ``params`` replaced (empty values removed), for sort and page links."""
    query = context["request"].GET.copy()
    for key, value in params.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    if "page" not in params:
        query.pop("page", None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
