"""Normalisation of phones, emails and company names for storage and duplicate search."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from voronka.core.errors import DomainError

_LEGAL_FORMS = re.compile(
    r"\b(ооо|оао|зао|пао|ао|ип|нко|ano|ано|llc|ltd|inc|gmbh|corp|co)\b\.?", re.IGNORECASE
)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_phone(raw: str, *, field: str = "phone", region: str = "RU") -> str:
    """E.164 (``+79161234567``); Russian formats like ``8 (916) 123-45-67`` are understood."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise DomainError(_("“%(value)s” is not a phone number.") % {"value": raw}, field=field) from exc
    if not phonenumbers.is_possible_number(number):
        raise DomainError(_("“%(value)s” is not a phone number.") % {"value": raw}, field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str, *, field: str = "email") -> str:
    email = (raw or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("“%(value)s” is not an email address.") % {"value": raw}, field=field) from exc
    return email


def normalize_name(raw: str) -> str:
    """Lower case, legal forms and punctuation dropped: «ООО "Ромашка"» → ``ромашка``."""
    text = _LEGAL_FORMS.sub(" ", (raw or "").lower().replace("ё", "е"))
    return " ".join(_NON_WORD.sub(" ", text).split())


_INN = re.compile(r"[0-9]{10}|[0-9]{12}", re.ASCII)


def normalize_inn(raw: str, *, field: str = "inn") -> str:
    """Spaces and dashes dropped; then empty or 10/12 ASCII digits (``١٢٣…`` or ``１２３…`` are refused, so the
    duplicate check on INN compares like with like)."""
    inn = re.sub(r"[\s\-]+", "", str(raw or ""))
    if inn and not _INN.fullmatch(inn):
        raise DomainError(_("INN must have 10 or 12 digits (0–9)."), field=field)
    return inn
