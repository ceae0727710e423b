"""Required-field rules of stages, evaluated against a deal."""

from __future__ import annotations

from decimal import Decimal

from voronka.catalog.models import CustomFieldDefinition
from voronka.pipelines.fields import field_label
from voronka.pipelines.models import Stage

_FK_FIELDS = {"source", "channel", "campaign", "contact", "product"}


def is_filled(deal, key: str) -> bool:
    if key == "amount":
        return deal.amount is not None and Decimal(deal.amount) > 0
    if key == "expected_close_date":
        return deal.expected_close_date is not None
    if key in _FK_FIELDS:
        return getattr(deal, f"{key}_id") is not None
    if key == "lines":
        return deal.pk is not None and deal.lines.exists()
    if key.startswith("client."):
        value = getattr(deal.client, key.split(".", 1)[1] + ("" if key.endswith("inn") else "_id"), None)
        return value not in (None, "")
    if key.startswith("cf:"):
        return (deal.custom or {}).get(key[3:]) not in (None, "", [])
    return True


def missing_required_fields(deal, stage: Stage) -> list[str]:
    """Keys of the stage's required fields that the deal leaves empty, in the stage's order."""
    return [key for key in stage.required_fields or [] if not is_filled(deal, key)]


def labels_for(keys: list[str]) -> list[str]:
    custom = {}
    if any(k.startswith("cf:") for k in keys):
        custom = dict(CustomFieldDefinition.objects.filter(entity="deal").values_list("key", "label"))
    return [field_label(k, custom) for k in keys]
