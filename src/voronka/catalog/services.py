"""Validation of custom field values against their definitions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from voronka.catalog.models import CustomFieldDefinition, FieldType
from voronka.core.errors import DomainError


def _coerce(definition: CustomFieldDefinition, value: Any) -> Any:
    field = f"cf:{definition.key}"
    kind = definition.field_type
    if value in (None, "", []):
        return None
    if kind == FieldType.TEXT:
        return str(value)[:2000]
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        try:
            number = Decimal(str(value).replace(" ", "").replace(",", "."))
        except InvalidOperation as exc:
            raise DomainError(_("%(label)s: enter a number.") % {"label": definition.label}, field=field) from exc
        if not number.is_finite():
            raise DomainError(_("%(label)s: enter a number.") % {"label": definition.label}, field=field)
        if kind == FieldType.MONEY and number < 0:
            raise DomainError(_("%(label)s: the amount cannot be negative.") % {"label": definition.label},
                              field=field)
        return str(number.quantize(Decimal("0.01")) if kind == FieldType.MONEY else number)
    if kind == FieldType.DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError as exc:
            raise DomainError(_("%(label)s: enter a date as YYYY-MM-DD.") % {"label": definition.label},
                              field=field) from exc
    if kind == FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on", "да"}:
            return True
        if text in {"0", "false", "no", "off", "нет"}:
            return False
        raise DomainError(_("%(label)s: choose yes or no.") % {"label": definition.label}, field=field)
    allowed = definition.choice_values
    if kind == FieldType.CHOICE:
        if str(value) not in allowed:
            raise DomainError(_("%(label)s: choose one of the listed values.") % {"label": definition.label},
                              field=field)
        return str(value)
    values = value if isinstance(value, list | tuple) else [v for v in str(value).split(",") if v]
    values = [str(v).strip() for v in values]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise DomainError(_("%(label)s: unknown values %(values)s.") % {"label": definition.label,
                                                                          "values": ", ".join(unknown)},
                          field=field)
    return values


def clean_custom_values(*, entity: str, values: dict[str, Any], current: dict[str, Any] | None = None
                        ) -> dict[str, Any]:
    """Merge ``values`` into ``current`` after checking each against its definition."""
    definitions = {d.key: d for d in CustomFieldDefinition.objects.filter(entity=entity, is_active=True)}
    result = dict(current or {})
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            raise DomainError(_("Unknown custom field “%(key)s”.") % {"key": key}, field=f"cf:{key}")
        value = _coerce(definition, raw)
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result
