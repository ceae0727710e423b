"""Required-field rules of stages, evaluated against a deal through the field registry (``catalog.fields``)."""

from __future__ import annotations

from voronka.catalog.fields import FieldRegistry, deal_fields
from voronka.pipelines.models import Stage


def is_filled(deal, key: str, registry: FieldRegistry | None = None) -> bool:
    """Whether the deal has ``key`` filled; a key of no active field never counts as empty."""
    spec = (registry or deal_fields()).get(key)
    return spec is None or spec.is_filled(deal)


def missing_required_fields(deal, stage: Stage, registry: FieldRegistry | None = None) -> list[str]:
    """Keys of the stage's required fields that the deal leaves empty, in the stage's order."""
    return (registry or deal_fields()).missing(deal, list(stage.required_fields or []))


def labels_for(keys: list[str], registry: FieldRegistry | None = None) -> list[str]:
    return (registry or deal_fields()).labels(keys)
