"""Filters of the invoice pages and PDFs: amounts with two decimals and spaces, quantities, VAT labels."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from voronka.billing.models import VatRate

register = template.Library()
NBSP = "\u00a0"


@register.filter
def money2(value) -> str:
    """``1250000`` → ``1 250 000,00`` (the way invoices print amounts)."""
    if value in (None, ""):
        return ""
    return f"{Decimal(value):,.2f}".replace(",", NBSP).replace(".", ",")


@register.filter
def qty(value) -> str:
    """A quantity without trailing zeros: ``2.000`` → ``2``, ``1.500`` → ``1,5``."""
    if value in (None, ""):
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


@register.filter
def vat_label(line) -> str:
    return _("without VAT") if line.vat_rate == VatRate.NONE else f"{line.vat_rate}%"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def act_action(status: str) -> str:
    """The act's move to ``status`` as the action of its URL (``issued`` → ``issue``)."""
    return {"issued": "issue", "signed": "sign", "cancelled": "cancel"}.get(status, "")
