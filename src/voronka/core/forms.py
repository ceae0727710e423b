"""Form helpers: number fields that parse the way the services do (ASCII digits only), and one way to
show a service's refusal (a domain error) on the form that asked for it.

Django's ``IntegerField`` and ``DecimalField`` pass the text to ``int()``/``Decimal()``, which accept
Arabic-Indic and full-width digits (``١٢`` → 12) and exponents (``1e309``); these fields refuse them, so a
form and the service behind it agree on what a number is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.core.errors import DomainError
from voronka.core.money import parse_decimal

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)


class IntegerField(forms.IntegerField):
    """An integer of ASCII digits (an id, a version, an order)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not _INTEGER.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class DecimalField(forms.DecimalField):
    """A decimal of ASCII digits with one separator (``.`` or ``,``) and optional thousands spaces."""

    default_error_messages = {"invalid": _("Enter a number (digits 0–9, one decimal separator).")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        digits = self.max_digits or 40
        places = self.decimal_places if self.decimal_places is not None else 10
        try:
            return parse_decimal(value, field=None, max_digits=digits, decimal_places=places,
                                 round_places=False)
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from exc


def apply_domain_error(form, exc: DomainError, *, field_for: Callable[[str], str | None] | None = None) -> None:
    """Put the error on the field it names, and on every other field it names that is still empty
    (``MissingFields``: a field the user did fill in is not marked).

    ``field_for`` maps a service field key to the form's field name when they differ; a key the form does
    not have makes the message a non-field error, so no refusal is ever lost.
    """
    def name_of(key: str | None) -> str | None:
        if not key:
            return None
        name = field_for(key) if field_for is not None else key
        # A hidden field (``version``) shows no errors: its refusal ("reload") goes to the form.
        return name if name in form.fields and not form.fields[name].widget.is_hidden else None

    first = name_of(exc.field)
    form.add_error(first, exc.message)
    for key in exc.fields:
        name = name_of(key)
        if name and name != first and name not in form.errors and _is_empty(form, name):
            form.add_error(name, exc.message)


def _is_empty(form, name: str) -> bool:
    if not form.is_bound:
        return True
    value = form[name].data
    if isinstance(value, str):
        value = value.strip()
    return value in (None, "", [], ())
