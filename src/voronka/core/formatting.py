"""Formatting of values for people (money in the user's language with one currency sign)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import translation

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "CNY": "¥"}
NBSP = "\u00a0"
NO_AMOUNT = "—"


def currency_sign(code: str) -> str:
    """The sign shown after an amount: ``RUB`` → ``₽``; an unknown code is shown as it is."""
    return CURRENCY_SIGNS.get((code or "").upper(), code or "")


def format_money(value, currency: str = "RUB") -> str:
    """``1250000.5`` → ``1 250 000,50 ₽`` in Russian, ``1,250,000.50 ₽`` in English (kopecks only when any).

    Groups are separated by no-break spaces in Russian and the sign follows after a no-break space, so an
    amount never wraps. An empty value gives ``""`` (templates show :data:`NO_AMOUNT` through ``|money``).
    """
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    text = f"{amount:,.2f}" if amount != amount.to_integral_value() else f"{amount:,.0f}"
    if (translation.get_language() or "ru").startswith("ru"):
        text = text.replace(",", NBSP).replace(".", ",")
    return f"{text}{NBSP}{currency_sign(currency)}".strip()


def show_money(value, currency: str = "") -> str:
    """The one way screens show an amount (the ``money`` filter): no amount (empty or 0) is ``—``.

    Without a currency: the base currency (``VORONKA_DEFAULT_CURRENCY``).
    """
    from django.conf import settings

    if value in (None, "") or value == 0:
        return NO_AMOUNT
    return format_money(value, currency or settings.VORONKA_DEFAULT_CURRENCY)


def format_days(number: int) -> str:
    """``3`` → ``3 дня`` / ``3 days`` (plural forms through ngettext)."""
    from django.utils.translation import ngettext

    number = int(number or 0)
    return ngettext("%(n)s day", "%(n)s days", number) % {"n": number}


def format_duration(seconds) -> str:
    """The one style of durations: ``2 дня 4 ч`` / ``6 ч 50 мин`` / ``5 мин`` (``2 days 4 h``, ``6 h 50 min``)."""
    from django.utils.translation import gettext

    if seconds in (None, ""):
        return ""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = format_days(days)
        return text + " " + gettext("%(h)s h") % {"h": hours} if hours else text
    if hours:
        return gettext("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return gettext("%(m)s min") % {"m": minutes}


def format_since(value, now=None) -> str:
    """Time from ``value`` to ``now``: dates in days (``3 дня``), datetimes as :func:`format_duration`."""
    import datetime as dt

    from django.utils import timezone

    if not value:
        return ""
    if isinstance(value, dt.datetime):
        end = now if isinstance(now, dt.datetime) else timezone.now()
        return format_duration((end - value).total_seconds())
    end = now if isinstance(now, dt.date) and not isinstance(now, dt.datetime) else timezone.localdate()
    return format_days((end - value).days)
