"""ISO 4217 currency codes: the only values a deal or a product may carry.

Plain Python (no Django imports), so ``settings.py`` can validate ``VORONKA_DEFAULT_CURRENCY`` at start-up.
The list holds the codes in circulation (ISO 4217 list one, 2025 edition); fund codes (BOV, CLF, ...),
precious metals and testing codes (XAU, XTS, XXX) are left out: nobody sells in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

ISO_4217_CODES: tuple[str, ...] = (
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP",
    "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD",
    "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK",
    "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP",
    "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
    "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD",
    "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF",
    "XPF", "YER", "ZAR", "ZMW", "ZWG",
)
CURRENCY_CODES = frozenset(ISO_4217_CODES)
# Model and form choices: the code is its own label (language-neutral, what accountants type).
CURRENCY_CHOICES: list[tuple[str, str]] = [(code, code) for code in ISO_4217_CODES]


def normalize_currency(value: object) -> str | None:
    """The ISO code for ``value`` (case and spaces ignored), or None when it is not one."""
    code = str(value or "").strip().upper()
    return code if code in CURRENCY_CODES else None


def default_currency() -> str:
    """The installation's base currency (``VORONKA_DEFAULT_CURRENCY``): the model default of amounts."""
    from django.conf import settings

    return settings.VORONKA_DEFAULT_CURRENCY


def ordered_totals(sums: Mapping[str, Decimal], base: str | None = None) -> list[tuple[str, Decimal]]:
    """Sums per currency, never added across currencies: the base currency first, then the others by code.

    An empty mapping gives a zero in the base currency (a column with no deals shows ``0 ₽``).
    """
    base = base or default_currency()
    rows = [(code, amount) for code, amount in sums.items() if amount]
    rows.sort(key=lambda row: (row[0] != base, row[0]))
    return rows or [(base, Decimal("0"))]


def merge_totals(*groups: list[tuple[str, Decimal]], base: str | None = None) -> list[tuple[str, Decimal]]:
    """Add several per-currency totals currency by currency (board columns → the board's total)."""
    merged: dict[str, Decimal] = {}
    for group in groups:
        for code, amount in group:
            merged[code] = merged.get(code, Decimal("0")) + amount
    return ordered_totals(merged, base)
