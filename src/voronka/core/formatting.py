"""Formatting of values for people (money with thin spaces and a currency sign)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "CNY": "¥"}
NBSP = "\u00a0"


def format_money(value, currency: str = "RUB") -> str:
    """``1250000`` → ``1 250 000 ₽`` (kopecks only when there are any)."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    text = f"{amount:,.2f}" if amount != amount.to_integral_value() else f"{amount:,.0f}"
    text = text.replace(",", NBSP)
    sign = CURRENCY_SIGNS.get((currency or "").upper(), currency or "")
    return f"{text}{NBSP}{sign}".strip()
