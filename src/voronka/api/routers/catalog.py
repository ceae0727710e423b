"""Read-only settings the integrations need: pipelines with their stages, and the dictionaries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from voronka.catalog.selectors import DICTIONARY_KINDS, dictionary_kind, list_dictionary_items
from voronka.pipelines.selectors import get_pipeline, list_pipelines

from ..pagination import Page, paginate
from ..schemas import ERRORS, Cursor, Id, Limit

router = Router(tags=["pipelines and dictionaries"])


class StageOut(Schema):
    id: int
    name: str
    slug: str
    position: int
    is_archived: bool
    max_days: int | None
    probability: int
    required_fields: list[str]
    goal: str
    entry_result: str


class PipelineOut(Schema):
    id: int
    name: str
    slug: str
    kind: str
    is_active: bool
    stages: list[StageOut]


def stage_out(s) -> dict[str, Any]:
    return {"id": s.pk, "name": s.name, "slug": s.slug, "position": s.position, "is_archived": s.is_archived,
            "max_days": s.max_days, "probability": s.probability, "required_fields": list(s.required_fields or []),
            "goal": s.goal, "entry_result": s.entry_result}


def pipeline_out(p) -> dict[str, Any]:
    stages = sorted(p.stages.all(), key=lambda s: (s.position, s.pk))
    return {"id": p.pk, "name": p.name, "slug": p.slug, "kind": p.kind, "is_active": p.is_active,
            "stages": [stage_out(s) for s in stages]}


@router.get("/pipelines", response={200: Page[PipelineOut], **ERRORS}, summary="List pipelines",
            description="Every pipeline (active and not) with its stages in board order.")
def pipelines_list(request: HttpRequest, limit: Limit = 50, cursor: Cursor | None = None):
    rows, next_url = paginate(request, list_pipelines(actor=request.auth, active_only=False), limit=limit,
                              cursor=cursor, descending=False)
    return {"items": [pipeline_out(p) for p in rows], "next": next_url}


@router.get("/pipelines/{pipeline_id}", response={200: PipelineOut, **ERRORS}, summary="Get a pipeline")
def pipelines_get(request: HttpRequest, pipeline_id: Id):
    return pipeline_out(get_pipeline(actor=request.auth, pipeline_id=pipeline_id))


class DictionaryOut(Schema):
    kind: str
    title: str
    url: str


class ItemOut(Schema):
    id: int
    name: str
    is_active: bool
    sort_order: int
    sku: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    cost: Decimal | None = None
    source: int | None = None
    channel: int | None = None


def item_out(item, extra: tuple[str, ...]) -> dict[str, Any]:
    out = {"id": item.pk, "name": item.name, "is_active": item.is_active, "sort_order": item.sort_order}
    for field in extra:
        if field in ("source", "channel"):
            out[field] = getattr(item, f"{field}_id")
        elif field in ("sku", "price", "currency", "cost"):
            out[field] = getattr(item, field)
    return out


@router.get("/dictionaries", response={200: list[DictionaryOut], **ERRORS}, summary="List the dictionaries")
def dictionaries_index(request: HttpRequest):
    return [{"kind": slug, "title": kind.title, "url": request.build_absolute_uri(f"{request.path}/{slug}")}
            for slug, kind in DICTIONARY_KINDS.items()]


@router.get("/dictionaries/{kind}", response={200: Page[ItemOut], **ERRORS}, summary="List a dictionary",
            description="`kind`: sources, channels, regions, industries, target-audiences, lost-reasons, "
                        "products, campaigns.")
def dictionaries_list(request: HttpRequest, kind: str, limit: Limit = 200, cursor: Cursor | None = None):
    spec = dictionary_kind(kind)
    qs = list_dictionary_items(actor=request.auth, kind=spec)
    rows, next_url = paginate(request, qs, limit=limit, cursor=cursor, descending=False)
    return {"items": [item_out(i, spec.extra_fields) for i in rows], "next": next_url}
