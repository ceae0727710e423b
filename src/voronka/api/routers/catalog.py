"""The settings integrations need: pipelines with their stages (administrators also write them, through the
same services as Settings), and the dictionaries (read)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from voronka.catalog.selectors import DICTIONARY_KINDS, dictionary_kind, list_dictionary_items
from voronka.core.errors import NotFound
from voronka.pipelines.selectors import get_pipeline, get_stage, list_pipelines
from voronka.pipelines.services import (
    add_stage,
    archive_stage,
    create_pipeline,
    reorder_stages,
    unarchive_stage,
    update_pipeline,
    update_stage,
)

from ..pagination import Page, paginate
from ..schemas import ERRORS, Cursor, Id, Limit, Text

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


class PipelineIn(Schema):
    name: Text
    slug: Annotated[str, Field(max_length=64)] = ""
    kind: Literal["inbound", "outreach", "renewal", "return", "custom"] = "custom"


class PipelinePatch(Schema):
    name: Text | None = None
    is_active: bool | None = None


class StageFields(Schema):
    entry_result: Annotated[str, Field(max_length=2000)] | None = None
    goal: Annotated[str, Field(max_length=2000)] | None = None
    max_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    probability: Annotated[int, Field(ge=0, le=100)] | None = None
    required_fields: Annotated[list[Annotated[str, Field(max_length=80)]], Field(max_length=50)] | None = None
    on_enter: Annotated[list[Annotated[str, Field(max_length=80)] | dict[str, Any]], Field(max_length=20)] | None = None
    instructions: Annotated[str, Field(max_length=4000)] | None = None


class StageIn(StageFields):
    name: Text
    slug: Annotated[str, Field(max_length=64)] = ""
    position: Annotated[int, Field(ge=1, le=1000)] | None = None


class StagePatch(StageFields):
    name: Text | None = None
    is_archived: bool | None = None


class StageOrder(Schema):
    stage_ids: Annotated[list[Id], Field(min_length=1, max_length=200)]


def _stage_fields(payload: Schema) -> dict[str, Any]:
    return {k: v for k, v in payload.model_dump(exclude_unset=True).items()
            if k in StageFields.model_fields and v is not None}


def _stage_of(request: HttpRequest, pipeline_id: int, stage_id: int):
    pipeline = get_pipeline(actor=request.auth, pipeline_id=pipeline_id)
    stage = get_stage(stage_id=stage_id)
    if stage.pipeline_id != pipeline.pk:
        raise NotFound(_("Stage not found."), field="stage")
    return pipeline, stage


ADMIN_WRITE = "Administrators only (403 otherwise), with a read-write token; the same rules as Settings."


@router.post("/pipelines", response={201: PipelineOut, **ERRORS}, summary="Create a pipeline",
             description=ADMIN_WRITE)
def pipelines_create(request: HttpRequest, payload: PipelineIn):
    pipeline = create_pipeline(actor=request.auth, name=payload.name, slug=payload.slug, kind=payload.kind)
    return Status(201, pipeline_out(get_pipeline(actor=request.auth, pipeline_id=pipeline.pk)))


@router.patch("/pipelines/{pipeline_id}", response={200: PipelineOut, **ERRORS}, summary="Rename or switch off",
              description=ADMIN_WRITE)
def pipelines_update(request: HttpRequest, pipeline_id: Id, payload: PipelinePatch):
    pipeline = get_pipeline(actor=request.auth, pipeline_id=pipeline_id)
    update_pipeline(actor=request.auth, pipeline=pipeline,
                    name=payload.name if payload.name is not None else pipeline.name,
                    is_active=payload.is_active if payload.is_active is not None else pipeline.is_active)
    return pipeline_out(get_pipeline(actor=request.auth, pipeline_id=pipeline.pk))


@router.post("/pipelines/{pipeline_id}/stages", response={201: StageOut, **ERRORS}, summary="Add a stage",
             description=ADMIN_WRITE + " `required_fields` and `on_enter` are checked as in Settings.")
def stages_create(request: HttpRequest, pipeline_id: Id, payload: StageIn):
    pipeline = get_pipeline(actor=request.auth, pipeline_id=pipeline_id)
    stage = add_stage(actor=request.auth, pipeline=pipeline, name=payload.name, slug=payload.slug,
                      position=payload.position, **_stage_fields(payload))
    return Status(201, stage_out(stage))


@router.patch("/pipelines/{pipeline_id}/stages/{stage_id}", response={200: StageOut, **ERRORS},
              summary="Change a stage's rulebook, archive or unarchive it", description=ADMIN_WRITE)
def stages_update(request: HttpRequest, pipeline_id: Id, stage_id: Id, payload: StagePatch):
    _pipeline, stage = _stage_of(request, pipeline_id, stage_id)
    fields = _stage_fields(payload)
    if payload.name is not None:
        fields["name"] = payload.name
    if fields:
        stage = update_stage(actor=request.auth, stage=stage, **fields)
    if payload.is_archived is True:
        stage = archive_stage(actor=request.auth, stage=stage)
    elif payload.is_archived is False:
        stage = unarchive_stage(actor=request.auth, stage=stage)
    return stage_out(stage)


@router.post("/pipelines/{pipeline_id}/stage-order", response={200: PipelineOut, **ERRORS},
             summary="Reorder the stages", description=ADMIN_WRITE + " List every stage of the pipeline once.")
def stages_reorder(request: HttpRequest, pipeline_id: Id, payload: StageOrder):
    pipeline = get_pipeline(actor=request.auth, pipeline_id=pipeline_id)
    reorder_stages(actor=request.auth, pipeline=pipeline, stage_ids=list(payload.stage_ids))
    return pipeline_out(get_pipeline(actor=request.auth, pipeline_id=pipeline.pk))


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
