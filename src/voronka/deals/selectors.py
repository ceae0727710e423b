"""Reads of deals, scoped to the actor: lists, the kanban board and the deal page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import scope_q
from voronka.activities.models import Task, TaskStatus
from voronka.core.errors import NotFound
from voronka.deals.models import Deal, DealStatus, StageTransition
from voronka.pipelines.models import Pipeline, Stage

BOARD_PAGE = 50
FILTER_KEYS = ("owner", "team", "source", "channel", "product", "region", "rating", "overdue", "status",
               "pipeline", "stage", "q", "no_task", "rotting")


@dataclass
class DealFilter:
    """Filters shared by the board, the list and the API (all optional)."""

    owner: int | None = None
    team: int | None = None
    source: int | None = None
    channel: int | None = None
    product: int | None = None
    region: int | None = None
    rating: str = ""
    overdue: bool = False
    no_task: bool = False
    status: str = ""
    pipeline: int | None = None
    stage: int | None = None
    q: str = ""

    @classmethod
    def from_params(cls, params: Any) -> DealFilter:
        """Build from a QueryDict/dict, ignoring malformed values (a bad URL never raises)."""

        def as_int(key: str) -> int | None:
            value = params.get(key)
            try:
                return int(value) if value not in (None, "") else None
            except (TypeError, ValueError):
                return None

        return cls(
            owner=as_int("owner"), team=as_int("team"), source=as_int("source"), channel=as_int("channel"),
            product=as_int("product"), region=as_int("region"),
            rating=(params.get("rating") or "") if params.get("rating") in ("A", "B", "C") else "",
            overdue=params.get("overdue") in ("1", "true", "on"),
            no_task=params.get("no_task") in ("1", "true", "on"),
            status=params.get("status") if params.get("status") in DealStatus.values else "",
            pipeline=as_int("pipeline"), stage=as_int("stage"), q=(params.get("q") or "").strip()[:100],
        )

    def as_query(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.__dict__.items():
            if value in (None, "", False):
                continue
            out[key] = "1" if value is True else str(value)
        return out


def visible_deals(*, actor: User) -> QuerySet[Deal]:
    return Deal.objects.filter(scope_q(actor, "deals.Deal"))


def _open_task_exists() -> Exists:
    return Exists(Task.objects.filter(deal=OuterRef("pk"), status=TaskStatus.OPEN))


def _overdue_task_exists(today: dt.date) -> Exists:
    return Exists(Task.objects.filter(deal=OuterRef("pk"), status=TaskStatus.OPEN, due_date__lt=today))


def filter_deals(qs: QuerySet[Deal], filters: DealFilter | None) -> QuerySet[Deal]:
    if filters is None:
        return qs
    f = filters
    simple = {"owner_id": f.owner, "owner__team_id": f.team, "source_id": f.source, "channel_id": f.channel,
              "product_id": f.product, "client__region_id": f.region, "pipeline_id": f.pipeline,
              "stage_id": f.stage}
    qs = qs.filter(**{k: v for k, v in simple.items() if v is not None})
    if f.rating:
        qs = qs.filter(client__rating=f.rating)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.overdue:
        qs = qs.filter(_overdue_task_exists(timezone.localdate()))
    if f.no_task:
        qs = qs.filter(status=DealStatus.OPEN).exclude(_open_task_exists())
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(client__name__icontains=f.q))
    return qs


def annotate_cards(qs: QuerySet[Deal]) -> QuerySet[Deal]:
    """What a card or a row shows: client, owner, stage, next open task date, overdue flag."""
    today = timezone.localdate()
    next_due = Task.objects.filter(deal=OuterRef("pk"), status=TaskStatus.OPEN).order_by("due_date")
    return qs.select_related("client", "owner", "stage").annotate(
        next_task_date=Subquery(next_due.values("due_date")[:1]),
        has_overdue=_overdue_task_exists(today),
    )


def list_deals(*, actor: User, filters: DealFilter | None = None, order: str = "-created_at") -> QuerySet[Deal]:
    allowed = {"created_at", "-created_at", "amount", "-amount", "title", "-title", "stage_entered_at",
               "-stage_entered_at", "expected_close_date", "-expected_close_date", "owner__username",
               "-owner__username", "client__name", "-client__name"}
    order = order if order in allowed else "-created_at"
    qs = filter_deals(visible_deals(actor=actor), filters)
    return annotate_cards(qs).select_related("pipeline").order_by(order, "-id")


def get_deal(*, actor: User, deal_id: int) -> Deal:
    try:
        return visible_deals(actor=actor).select_related(
            "pipeline", "stage", "client", "contact", "owner", "source", "channel", "campaign", "product",
            "lost_reason", "client__responsible", "client__region", "client__industry",
        ).get(pk=deal_id)
    except (Deal.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Deal not found.")) from exc


def deal_page_data(*, deal: Deal) -> dict[str, Any]:
    """Lines, tasks, timeline and stage history for the deal page, in a fixed number of queries."""
    from voronka.activities.models import Activity

    lines = list(deal.lines.select_related("product"))
    tasks = list(deal.tasks.select_related("assignee").order_by("status", "due_date", "id"))
    timeline = list(Activity.objects.filter(deal=deal).select_related("author").order_by("-at", "-id")[:200])
    history = list(StageTransition.objects.filter(deal=deal).select_related("from_stage", "to_stage", "by_user")
                   .order_by("at", "id"))
    return {"lines": lines, "tasks": tasks, "timeline": timeline, "history": history}


@dataclass
class BoardColumn:
    stage: Stage
    count: int = 0
    total: Decimal = Decimal("0")
    cards: list[Deal] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return len(self.cards) < self.count


def board_cards(*, actor: User, stage: Stage, filters: DealFilter | None = None, offset: int = 0,
                limit: int = BOARD_PAGE) -> list[Deal]:
    qs = filter_deals(visible_deals(actor=actor), filters).filter(stage=stage, status=DealStatus.OPEN)
    return list(annotate_cards(qs).order_by("stage_entered_at", "id")[offset:offset + limit])


def board(*, actor: User, pipeline: Pipeline, filters: DealFilter | None = None,
          limit: int = BOARD_PAGE) -> list[BoardColumn]:
    """Columns with count and sum per stage (one aggregate query) and the first ``limit`` cards of each."""
    base = filter_deals(visible_deals(actor=actor), filters).filter(pipeline=pipeline, status=DealStatus.OPEN)
    stages = list(pipeline.stages.order_by("position", "id"))
    totals = {row["stage_id"]: row for row in base.values("stage_id").annotate(n=Count("id"), s=Sum("amount"))}
    columns = []
    for stage in stages:
        row = totals.get(stage.pk, {})
        column = BoardColumn(stage=stage, count=row.get("n", 0), total=row.get("s") or Decimal("0"))
        columns.append(column)
    # One query for the first page of every column: ROW_NUMBER() per stage.
    ranked = annotate_cards(base).annotate(
        rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=[F("stage_entered_at").asc(), F("id").asc()])
    )
    by_stage: dict[int, list[Deal]] = {}
    for deal in ranked.filter(rank__lte=limit).order_by("stage_id", "rank"):
        by_stage.setdefault(deal.stage_id, []).append(deal)
    for column in columns:
        column.cards = by_stage.get(column.stage.pk, [])
    return columns


def is_rotting(deal: Deal, now: dt.datetime | None = None) -> bool:
    max_days = deal.stage.max_days
    if not max_days or not deal.is_open:
        return False
    return (now or timezone.now()) - deal.stage_entered_at > dt.timedelta(days=max_days)


def stage_durations(history: list[StageTransition]) -> list[dict[str, Any]]:
    """Time spent on each stage, from the transition log (the last stage still running)."""
    out = []
    for index, row in enumerate(history):
        if row.to_stage_id is None:
            continue
        nxt = history[index + 1] if index + 1 < len(history) else None
        seconds = nxt.seconds_in_from_stage if nxt else None
        out.append({"stage": row.to_stage, "entered": row.at, "seconds": seconds, "kind": row.kind})
    return out


def prefetch_open_tasks() -> Prefetch:
    return Prefetch("tasks", queryset=Task.objects.filter(status=TaskStatus.OPEN).order_by("due_date"),
                    to_attr="open_tasks")
