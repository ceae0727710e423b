"""The total of an invoice in Russian words ("Сто двадцать тысяч рублей 00 копеек"), with num2words."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

# (one, few, many) forms of the major unit and of the minor unit, per currency
_UNITS: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    "RUB": (("рубль", "рубля", "рублей"), ("копейка", "копейки", "копеек")),
    "USD": (("доллар США", "доллара США", "долларов США"), ("цент", "цента", "центов")),
    "EUR": (("евро", "евро", "евро"), ("цент", "цента", "центов")),
    "CNY": (("юань", "юаня", "юаней"), ("фэнь", "фэня", "фэней")),
    "KZT": (("тенге", "тенге", "тенге"), ("тиын", "тиына", "тиынов")),
    "BYN": (("белорусский рубль", "белорусских рубля", "белорусских рублей"), ("копейка", "копейки", "копеек")),
}


def plural_ru(n: int, forms: tuple[str, str, str]) -> str:
    """The Russian plural form for ``n``: 1 рубль, 2 рубля, 5 рублей, 11 рублей, 21 рубль."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def amount_in_words(amount: Decimal, currency: str = "RUB") -> str:
    """``Decimal("120000.50")`` → "Сто двадцать тысяч рублей 50 копеек" (kopecks in digits, as invoices do)."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    major = int(value)
    minor = int((value - major) * 100)
    words = num2words(major, lang="ru")
    major_forms, minor_forms = _UNITS.get(currency.upper(), ((currency,) * 3, ("",) * 3))
    text = f"{words} {plural_ru(major, major_forms)} {minor:02d}"
    if minor_forms[0]:
        text += f" {plural_ru(minor, minor_forms)}"
    return text[:1].upper() + text[1:]
