"""Deals: list (the deal list's filters), get (lines, custom fields), create (with the first task), update on a
version, and the actions as explicit endpoints: move, win, lose, reopen, reassign.

Every action takes the optional ``version`` the client read; a deal changed meanwhile is a 409 ``stale``.
Values are keys of the field registry (``catalog.fields``): ``amount``, ``expected_close_date``, ``source``,
``cf:<key>``, ``client.region`` ... (see ``GET /api/v1/deals/fields``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from voronka.accounts.selectors import get_user_for_settings
from voronka.catalog.fields import deal_fields
from voronka.clients.selectors import get_client
from voronka.deals.selectors import DealFilter, filter_deals, get_deal, visible_deals
from voronka.deals.services import (
    change_deal_pipeline,
    create_deal,
    lose_deal,
    move_deal,
    reassign_deal,
    reopen_deal,
    update_deal,
    win_deal,
)
from voronka.pipelines.selectors import get_pipeline, get_stage

from ..pagination import Page, paginate
from ..schemas import (
    ERRORS,
    Amount,
    Cursor,
    Id,
    Limit,
    LongText,
    Ref,
    RefId,
    Text,
    UserRef,
    Version,
    ref,
    resolve,
    user_ref,
)
from .tasks import TaskSpec, task_spec

router = Router(tags=["deals"])

LIST_RELATIONS = ("pipeline", "stage", "client", "owner", "owner_team", "contact", "source", "channel",
                  "campaign", "product", "lost_reason")


class StageRef(Schema):
    id: int
    name: str
    position: int


class LineOut(Schema):
    id: int
    product: Ref
    quantity: Decimal
    price: Decimal
    discount_pct: Decimal
    total: Decimal


class DealOut(Schema):
    id: int
    title: str
    status: Literal["open", "won", "lost"]
    pipeline: Ref
    stage: StageRef
    client: Ref
    contact: Ref | None
    owner: UserRef
    team: Ref | None
    amount: Decimal
    currency: str
    source: Ref | None
    channel: Ref | None
    campaign: Ref | None
    product: Ref | None
    expected_close_date: dt.date | None
    lost_reason: Ref | None
    lost_comment: str
    custom: dict[str, Any]
    version: int
    stage_entered_at: dt.datetime
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DealDetailOut(DealOut):
    lines: list[LineOut]


def deal_out(d) -> dict[str, Any]:
    return {
        "id": d.pk, "title": d.title, "status": d.status, "pipeline": ref(d.pipeline),
        "stage": {"id": d.stage.pk, "name": d.stage.name, "position": d.stage.position},
        "client": ref(d.client), "contact": ref(d.contact), "owner": user_ref(d.owner), "team": ref(d.owner_team),
        "amount": d.amount, "currency": d.currency, "source": ref(d.source), "channel": ref(d.channel),
        "campaign": ref(d.campaign), "product": ref(d.product), "expected_close_date": d.expected_close_date,
        "lost_reason": ref(d.lost_reason), "lost_comment": d.lost_comment, "custom": d.custom or {},
        "version": d.version, "stage_entered_at": d.stage_entered_at, "closed_at": d.closed_at,
        "created_at": d.created_at, "updated_at": d.updated_at,
    }


def deal_detail_out(d) -> dict[str, Any]:
    out = deal_out(d)
    out["lines"] = [{"id": line.pk, "product": ref(line.product), "quantity": line.quantity, "price": line.price,
                     "discount_pct": line.discount_pct, "total": line.total}
                    for line in d.lines.select_related("product").order_by("id")]
    return out


class DealFilters(Schema):
    """The filters of the deal list (``deals.selectors.DealFilter``)."""

    q: Annotated[str, Field(max_length=100)] = ""
    status: Literal["open", "won", "lost", ""] = ""
    pipeline: Id | None = None
    stage: Id | None = None
    owner: Id | None = None
    team: Id | None = None
    source: Id | None = None
    channel: Id | None = None
    product: Id | None = None
    region: Id | None = None
    rating: Literal["A", "B", "C", ""] = ""
    overdue: bool = False
    no_task: bool = False
    limit: Limit = 50
    cursor: Cursor | None = None


Values = Annotated[dict[str, Any], Field(max_length=200, description="Field registry keys to values "
                                                                      "(GET /api/v1/deals/fields).")]


class DealIn(Schema):
    title: Text
    pipeline: RefId
    client: RefId
    first_task: TaskSpec
    stage: RefId | None = None
    owner: RefId | None = None
    values: Values = {}


class DealPatch(Schema):
    version: Version
    values: Values


class MoveIn(Schema):
    stage: RefId
    version: Version | None = None
    values: Values = {}


class WinIn(Schema):
    amount: Amount | None = None
    version: Version | None = None
    values: Values = {}


class LoseIn(Schema):
    lost_reason: RefId
    comment: LongText = ""
    version: Version | None = None


class ReopenIn(Schema):
    task: TaskSpec
    stage: RefId | None = None
    version: Version | None = None


class PipelineIn(Schema):
    pipeline: RefId
    stage: RefId | None = None
    version: Version | None = None
    values: Values = {}


class ReassignIn(Schema):
    owner: RefId
    version: Version | None = None


def _deal(request: HttpRequest, deal_id: int):
    return get_deal(actor=request.auth, deal_id=deal_id)


def _stage(stage_id: int | None):
    return None if stage_id is None else resolve(get_stage, "stage", stage_id=stage_id)


def _values(values: dict[str, Any]) -> dict[str, Any]:
    """JSON numbers for money and ids arrive as numbers; the registry parses text, so pass them as text."""
    return {k: (str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v) for k, v in values.items()}


@router.get("/deals", response={200: Page[DealOut], **ERRORS}, summary="List deals",
            description="Deals in your scope, newest first, with the filters of the deal list.")
def deals_list(request: HttpRequest, filters: Query[DealFilters]):
    data = filters.model_dump()
    limit, cursor = data.pop("limit"), data.pop("cursor")
    data["q"] = data["q"].strip()
    qs = filter_deals(visible_deals(actor=request.auth), DealFilter(**data)).select_related(*LIST_RELATIONS)
    rows, next_url = paginate(request, qs, limit=limit, cursor=cursor)
    return {"items": [deal_out(d) for d in rows], "next": next_url}


@router.get("/deals/fields", response={200: dict[str, Any], **ERRORS}, summary="Deal field registry",
            description="JSON schema of the `values` object: every standard and active custom field.")
def deals_fields(request: HttpRequest):
    return deal_fields().api_schema()


@router.get("/deals/{deal_id}", response={200: DealDetailOut, **ERRORS}, summary="Get a deal",
            description="With its product lines and custom field values.")
def deals_get(request: HttpRequest, deal_id: Id):
    return deal_detail_out(_deal(request, deal_id))


@router.post("/deals", response={201: DealDetailOut, **ERRORS}, summary="Create a deal",
             description="An open deal starts with its first task. Without `stage`: the first stage.")
def deals_create(request: HttpRequest, payload: DealIn):
    actor = request.auth
    pipeline = resolve(get_pipeline, "pipeline", pipeline_id=payload.pipeline)
    client = resolve(get_client, "client", actor=actor, client_id=payload.client)
    owner = None if payload.owner is None else resolve(get_user_for_settings, "owner", actor=actor,
                                                       user_id=payload.owner)
    deal = create_deal(actor=actor, title=payload.title, pipeline=pipeline, client=client,
                       first_task=task_spec(payload.first_task), stage=_stage(payload.stage), owner=owner,
                       values=_values(payload.values))
    return Status(201, deal_detail_out(deal))


@router.patch("/deals/{deal_id}", response={200: DealDetailOut, **ERRORS}, summary="Update a deal",
              description="Send the `version` you read: a deal changed meanwhile is a 409 `stale`.")
def deals_update(request: HttpRequest, deal_id: Id, payload: DealPatch):
    deal = update_deal(actor=request.auth, deal=_deal(request, deal_id), values=_values(payload.values),
                       expected_version=payload.version)
    return deal_detail_out(deal)


@router.post("/deals/{deal_id}/move", response={200: DealDetailOut, **ERRORS}, summary="Move a deal to a stage",
             description="The stages passed must have their required fields: a 422 names every missing one "
                         "(fill them in `values`).")
def deals_move(request: HttpRequest, deal_id: Id, payload: MoveIn):
    deal = move_deal(actor=request.auth, deal=_deal(request, deal_id), stage=_stage(payload.stage),
                     expected_version=payload.version, values=_values(payload.values))
    return deal_detail_out(deal)


@router.post("/deals/{deal_id}/win", response={200: DealDetailOut, **ERRORS}, summary="Win a deal")
def deals_win(request: HttpRequest, deal_id: Id, payload: WinIn):
    amount = None if payload.amount is None else str(payload.amount)
    deal = win_deal(actor=request.auth, deal=_deal(request, deal_id), amount=amount,
                    expected_version=payload.version, values=_values(payload.values))
    return deal_detail_out(deal)


@router.post("/deals/{deal_id}/lose", response={200: DealDetailOut, **ERRORS}, summary="Lose a deal")
def deals_lose(request: HttpRequest, deal_id: Id, payload: LoseIn):
    deal = lose_deal(actor=request.auth, deal=_deal(request, deal_id), reason=payload.lost_reason,
                     comment=payload.comment, expected_version=payload.version)
    return deal_detail_out(deal)


@router.post("/deals/{deal_id}/reopen", response={200: DealDetailOut, **ERRORS}, summary="Reopen a closed deal",
             description="On its last stage or `stage`, with a new task.")
def deals_reopen(request: HttpRequest, deal_id: Id, payload: ReopenIn):
    deal = reopen_deal(actor=request.auth, deal=_deal(request, deal_id), task=task_spec(payload.task),
                       stage=_stage(payload.stage), expected_version=payload.version)
    return deal_detail_out(deal)


@router.post("/deals/{deal_id}/reassign", response={200: DealDetailOut, **ERRORS},
             summary="Give a deal to another manager", description="Its open tasks follow.")
def deals_reassign(request: HttpRequest, deal_id: Id, payload: ReassignIn):
    actor = request.auth
    owner = resolve(get_user_for_settings, "owner", actor=actor, user_id=payload.owner)
    deal = reassign_deal(actor=actor, deal=_deal(request, deal_id), owner=owner, expected_version=payload.version)
    return deal_detail_out(deal)




@router.post("/deals/{deal_id}/pipeline", response={200: DealDetailOut, **ERRORS},
             summary="Move a deal to another pipeline",
             description="To `stage` (default: its first stage that takes deals); the stages up to it count as "
                         "passed, so their required fields apply (fill them in `values`).")
def deals_change_pipeline(request: HttpRequest, deal_id: Id, payload: PipelineIn):
    pipeline = resolve(get_pipeline, "pipeline", pipeline_id=payload.pipeline)
    deal = change_deal_pipeline(actor=request.auth, deal=_deal(request, deal_id), pipeline=pipeline,
                                stage=_stage(payload.stage), values=_values(payload.values),
                                expected_version=payload.version)
    return deal_detail_out(deal)
