"""Russian requisites made of digits (KPP, OGRN, BIK, bank accounts): one rule for clients, the company and
the field registry, so a value means the same wherever it is typed."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import DomainError

# field -> the lengths allowed (ASCII digits only)
REQUISITE_LENGTHS: dict[str, tuple[int, ...]] = {
    "kpp": (9,),
    "ogrn": (13, 15),
    "bik": (9,),
    "settlement_account": (20,),
    "corr_account": (20,),
}
REQUISITE_LABELS = {
    "kpp": gettext_lazy("KPP"),
    "ogrn": gettext_lazy("OGRN"),
    "bik": gettext_lazy("BIK"),
    "settlement_account": gettext_lazy("Settlement account"),
    "corr_account": gettext_lazy("Correspondent account"),
}
_SEPARATORS = re.compile(r"[\s\-\u00a0\u202f\u2009]+")
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def normalize_requisite(field: str, raw: object, *, error_field: str | None = None) -> str:
    """Spaces and dashes dropped; then empty or ASCII digits of an allowed length, else a field error."""
    lengths = REQUISITE_LENGTHS[field]
    text = _SEPARATORS.sub("", str(raw or ""))
    if text and (not _DIGITS.fullmatch(text) or len(text) not in lengths):
        digits = _(" or ").join(str(n) for n in lengths)
        raise DomainError(_("%(label)s must have %(digits)s digits (0–9).")
                          % {"label": REQUISITE_LABELS[field], "digits": digits}, field=error_field or field)
    return text
