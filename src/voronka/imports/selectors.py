"""Reads of import batches."""

from __future__ import annotations

from voronka.core.params import parse_id
from voronka.imports.models import ImportBatch


def get_batch(batch_id) -> ImportBatch | None:
    number = parse_id(batch_id)
    return ImportBatch.objects.filter(pk=number).first() if number is not None else None


def recent_batches(limit: int = 50) -> list[ImportBatch]:
    return list(ImportBatch.objects.select_related("created_by")[:limit])
