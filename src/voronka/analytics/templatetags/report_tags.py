"""Table cells of the report pages: typed values shown in the user's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()
DASH = "—"


@register.simple_tag
def cell(row: dict, column) -> str:
    value = row.get(column.key)
    if value is None:
        return DASH
    kind = column.kind
    if kind == "money":
        return number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    if kind == "fraction":
        return f"{number_format(value * 100, 1, use_l10n=True)} %"
    if kind == "pct":
        return f"{number_format(value, 1, use_l10n=True)} %"
    if kind == "days":
        return number_format(value, 1, use_l10n=True)
    if kind == "int":
        return number_format(value, 0, use_l10n=True, force_grouping=True)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@register.filter
def shown(columns):
    """The columns a person reads (ids stay in the exports)."""
    return [c for c in columns if c.kind != "id"]
