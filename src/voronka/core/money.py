"""The one parser of amounts, prices, quantities and other decimals that users type.

Every service that writes a decimal (deal amounts and lines, dictionary prices and costs, custom number and
money fields) parses it here, so a value that does not fit its column (``max_digits``/``decimal_places``)
or is not a plain number becomes a field-level ``DomainError``, never a stored value that breaks every
page that reads it, and never an exception from ``Decimal`` or ``quantize``.

Accepted: ASCII digits with an optional sign and one decimal separator (``.`` or ``,``); spaces (also
no-break and thin spaces) group thousands. Refused: exponents (``1e26``), ``inf``/``nan``, non-ASCII digits
(``²``, ``١٢٣``, full-width digits), anything else.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.utils.translation import gettext as _

from voronka.core.errors import DomainError
from voronka.core.formatting import format_money

# The columns' shapes (deals.Deal.amount, deals.DealLine.price, catalog prices and costs; DealLine.quantity).
MONEY_DIGITS, MONEY_PLACES = 14, 2
QUANTITY_DIGITS, QUANTITY_PLACES = 12, 3

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_GROUPING = str.maketrans({" ": None, "\u00a0": None, "\u202f": None, "\u2009": None, "\t": None, ",": "."})
_MAX_TEXT = 64  # longer input is not a number anybody typed


def column_limit(max_digits: int, decimal_places: int) -> Decimal:
    """The smallest magnitude that no longer fits a ``DecimalField(max_digits, decimal_places)``."""
    return Decimal(10) ** (max_digits - decimal_places)


def _fail(field: str | None, label: str | None, message: str) -> DomainError:
    text = f"{label}: {message}" if label else message
    return DomainError(text, field=field, code="invalid_number")


def parse_decimal(value: Any, *, field: str | None, max_digits: int, decimal_places: int,
                  minimum: Decimal | int | None = None, maximum: Decimal | int | None = None,
                  label: str | None = None, round_places: bool = True) -> Decimal:
    """``value`` as a Decimal with ``decimal_places`` that fits the column, or a DomainError on ``field``.

    More decimal places are rounded (half up), or refused when ``round_places`` is false. ``minimum``/
    ``maximum`` narrow the range further (inclusive). ``label`` prefixes the messages (custom fields).
    """
    if isinstance(value, bool):
        raise _fail(field, label, _("Enter a number."))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value)) if value == value and abs(value) != float("inf") else Decimal("NaN")
    else:
        text = str(value if value is not None else "").translate(_GROUPING)
        if len(text) > _MAX_TEXT or not _NUMBER.fullmatch(text):
            raise _fail(field, label, _("Enter a number (digits 0–9, one decimal separator)."))
        number = Decimal(text)
    if not number.is_finite():
        raise _fail(field, label, _("Enter a number."))
    limit = column_limit(max_digits, decimal_places)
    if number.copy_abs() >= limit:  # compared before quantize: a huge exponent would overflow it
        raise _too_large(field, label, limit)
    with localcontext() as ctx:
        ctx.prec = 2 * _MAX_TEXT
        if not round_places and number.normalize().as_tuple().exponent < -decimal_places:
            raise _fail(field, label, _("At most %(n)s digits after the decimal point.") % {"n": decimal_places})
        number = number.quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP)
    if number.copy_abs() >= limit:  # 99.999 rounds up to 100.00
        raise _too_large(field, label, limit)
    if minimum is not None and number < Decimal(minimum):
        if Decimal(minimum) == 0:
            raise _fail(field, label, _("The value cannot be negative."))
        raise _fail(field, label, (_("The value must be at least %(min)s.")) % {"min": minimum})
    if maximum is not None and number > Decimal(maximum):
        raise _fail(field, label, (_("The value must be at most %(max)s.")) % {"max": maximum})
    return number


def _too_large(field: str | None, label: str | None, limit: Decimal) -> DomainError:
    biggest = format_money(limit - 1, "")
    return _fail(field, label, (_("The number is too large (at most %(max)s).")) % {"max": biggest})


def parse_money(value: Any, *, field: str | None = "amount", label: str | None = None) -> Decimal:
    """An amount or price: 0 or more, at most 12 digits before the point, rounded to kopecks."""
    return parse_decimal(value, field=field, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES,
                         minimum=0, label=label)


def parse_quantity(value: Any, *, field: str | None = "quantity", label: str | None = None) -> Decimal:
    """A line quantity: more than 0, at most 9 digits before the point, 3 after."""
    number = parse_decimal(value, field=field, max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES,
                           minimum=0, label=label)
    if number <= 0:
        raise _fail(field, label, _("The quantity must be positive."))
    return number


def check_money(total: Decimal, *, field: str | None = "amount", message: str | None = None) -> Decimal:
    """A computed amount (a line total, a deal's sum of lines) must fit the money column too."""
    limit = column_limit(MONEY_DIGITS, MONEY_PLACES)
    if not total.is_finite() or total.copy_abs() >= limit:
        if message:
            raise DomainError(message, field=field, code="invalid_number")
        raise _too_large(field, None, limit)
    return total


def plain(number: Decimal) -> str:
    """A decimal without trailing zeros after the point and without an exponent: ``12.50`` → ``12.5``."""
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money_limit() -> Decimal:
    """The largest amount a money column holds (999 999 999 999.99)."""
    return column_limit(MONEY_DIGITS, MONEY_PLACES) - Decimal("0.01")


__all__ = [
    "MONEY_DIGITS", "MONEY_PLACES", "QUANTITY_DIGITS", "QUANTITY_PLACES", "check_money",
    "column_limit", "money_limit", "parse_decimal", "parse_money", "parse_quantity", "plain",
]
