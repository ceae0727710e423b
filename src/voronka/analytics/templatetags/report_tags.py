"""Table cells of the report pages: typed values shown in the user's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.html import format_html

from voronka.core.formatting import format_money

register = template.Library()
DASH = "—"


@register.simple_tag
def cell(row: dict, column) -> str:
    value = row.get(column.key)
    if value is None:
        return DASH
    kind = column.kind
    if kind == "money":
        # the one style of amounts (core.formatting): ``1 234 567,50 ₽``, in the row's currency (money
        # reports have a ``currency`` column) or the base one; an amount of 0 is a figure here, not "no amount"
        return format_money(Decimal(value), row.get("currency") or settings.VORONKA_DEFAULT_CURRENCY)
    if kind == "fraction":
        return f"{number_format(value * 100, 1, use_l10n=True)} %"
    if kind == "pct":
        return f"{number_format(value, 1, use_l10n=True)} %"
    if kind == "days":
        return number_format(value, 1, use_l10n=True)
    if kind == "float":  # NPS, mean score, forecast count: two decimals in the user's notation
        return number_format(value, 2, use_l10n=True)
    if kind == "int":
        return number_format(value, 0, use_l10n=True, force_grouping=True)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@register.simple_tag
def drill_cell(row: dict, column, links: dict) -> str:
    """The cell, linked to the list behind the number when the report gives one."""
    text = cell(row, column)
    url = links.get(column.key) if links else None
    return format_html('<a href="{}" data-drill="{}">{}</a>', url, column.key, text) if url else text


@register.filter
def shown(columns):
    """The columns a person reads (ids stay in the exports)."""
    return [c for c in columns if c.kind != "id"]
