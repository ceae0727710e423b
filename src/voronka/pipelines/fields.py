"""The fields a stage may require, and how to tell whether a deal has them filled."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

STANDARD_REQUIRED_FIELDS: dict[str, str] = {
    "amount": _("Amount"),
    "expected_close_date": _("Expected close date"),
    "source": _("Source"),
    "channel": _("Channel"),
    "campaign": _("Campaign"),
    "contact": _("Contact"),
    "product": _("Main product"),
    "lines": _("Products (lines)"),
    "client.region": _("Client region"),
    "client.industry": _("Client industry"),
    "client.target_audience": _("Client target audience"),
    "client.inn": _("Client INN"),
}


def required_field_choices() -> list[tuple[str, str]]:
    """Standard fields plus active deal custom fields, as (key, label)."""
    from voronka.catalog.models import CustomFieldDefinition

    choices = [(k, str(v)) for k, v in STANDARD_REQUIRED_FIELDS.items()]
    for d in CustomFieldDefinition.objects.filter(entity="deal", is_active=True):
        choices.append((f"cf:{d.key}", d.label))
    return choices


def field_label(key: str, custom_labels: dict[str, str] | None = None) -> str:
    if key in STANDARD_REQUIRED_FIELDS:
        return str(STANDARD_REQUIRED_FIELDS[key])
    if key.startswith("cf:") and custom_labels:
        return custom_labels.get(key[3:], key[3:])
    return key
