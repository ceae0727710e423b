"""Reads of deals, scoped to the actor: lists, the kanban board and the deal page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import scope_q
from voronka.activities.models import Task, TaskStatus
from voronka.core.currency import ordered_totals
from voronka.core.errors import NotFound
from voronka.core.params import parse_id
from voronka.core.search import text_contains
from voronka.deals.models import Deal, DealStatus, StageTransition
from voronka.pipelines.models import Pipeline, Stage

BOARD_PAGE = 50

FILTER_KEYS = ("owner", "team", "source", "channel", "product", "region", "rating", "overdue", "status",
               "pipeline", "stage", "q", "no_task", "rotting")
# The report drill-down filters (analytics links every number to the deals behind it).
DRILL_KEYS = ("reached", "furthest", "closed_from", "closed_to", "created_from", "created_to", "client_type",
              "campaign", "audience", "industry", "deal_team", "lost_reason", "currency", "paid_from", "paid_to",
              "answered_from", "answered_to", "nps")
# Survey answers by NPS group (``nps`` drill filter; billing's after-sales survey, 0-10).
NPS_GROUPS = {"answered": Q(survey__answered_at__isnull=False), "promoter": Q(survey__score__gte=9),
              "passive": Q(survey__score__gte=7, survey__score__lte=8), "detractor": Q(survey__score__lte=6)}
# Filters that accept ``none``: the deals without a value.
NULLABLE = {"source": "source", "channel": "channel", "product": "product", "region": "client__region",
            "campaign": "campaign", "audience": "client__target_audience", "industry": "client__industry",
            "deal_team": "owner_team", "lost_reason": "lost_reason", "team": "owner__team"}
CLOSED = "closed"  # the status filter's extra value: won or lost


def _as_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


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
    archived: bool = False  # True: the archive (closed deals put away) instead of the live deals
    rotting: bool = False  # open deals longer on their stage than its max days
    # Drill-down from the reports (DESIGN.md §5 definitions).
    reached: int | None = None  # a stage id: the deals that reached it (furthest stage at or after it)
    furthest: int | None = None  # a stage id: the deals whose furthest visited stage it is
    closed_from: dt.date | None = None  # won or lost on or after (local date)
    closed_to: dt.date | None = None  # ... on or before
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    client_type: str = ""  # new / current (the client had no won deal when the deal was created)
    campaign: int | None = None
    audience: int | None = None  # the client's target audience
    industry: int | None = None  # the client's industry
    deal_team: int | None = None  # the team recorded on the deal (``team`` is the owner's current team)
    lost_reason: int | None = None
    currency: str = ""
    # Billing (by relation names, no import): a payment received on these dates; the survey answered then.
    paid_from: dt.date | None = None
    paid_to: dt.date | None = None
    answered_from: dt.date | None = None
    answered_to: dt.date | None = None
    nps: str = ""  # answered / promoter / passive / detractor
    nulls: tuple[str, ...] = ()  # keys of NULLABLE given as ``none``

    @classmethod
    def from_params(cls, params: Any) -> DealFilter:
        """Build from a QueryDict/dict, ignoring malformed values (a bad URL never raises)."""

        def as_int(key: str) -> int | None:
            return parse_id(params.get(key))

        def flag(key: str) -> bool:
            return params.get(key) in ("1", "true", "on")

        currency = (params.get("currency") or "").strip().upper()
        status = params.get("status")
        return cls(
            owner=as_int("owner"), team=as_int("team"), source=as_int("source"), channel=as_int("channel"),
            product=as_int("product"), region=as_int("region"),
            rating=(params.get("rating") or "") if params.get("rating") in ("A", "B", "C") else "",
            overdue=flag("overdue"), no_task=flag("no_task"),
            status=status if status in (*DealStatus.values, CLOSED) else "",
            pipeline=as_int("pipeline"), stage=as_int("stage"), q=(params.get("q") or "").strip()[:100],
            archived=flag("archived"), rotting=flag("rotting"),
            reached=as_int("reached"), furthest=as_int("furthest"),
            closed_from=_as_date(params.get("closed_from")), closed_to=_as_date(params.get("closed_to")),
            created_from=_as_date(params.get("created_from")), created_to=_as_date(params.get("created_to")),
            client_type=params.get("client_type") if params.get("client_type") in ("new", "current") else "",
            campaign=as_int("campaign"), audience=as_int("audience"), industry=as_int("industry"),
            deal_team=as_int("deal_team"), lost_reason=as_int("lost_reason"),
            currency=currency if len(currency) == 3 and currency.isascii() and currency.isalpha() else "",
            paid_from=_as_date(params.get("paid_from")), paid_to=_as_date(params.get("paid_to")),
            answered_from=_as_date(params.get("answered_from")), answered_to=_as_date(params.get("answered_to")),
            nps=params.get("nps") if params.get("nps") in NPS_GROUPS else "",
            nulls=tuple(k for k in NULLABLE if params.get(k) == "none"),
        )

    def as_query(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.__dict__.items():
            if key == "nulls":
                out.update({k: "none" for k in value})
                continue
            if value in (None, "", False):
                continue
            out[key] = "1" if value is True else str(value)
        return out

    @property
    def drilled(self) -> bool:
        """Whether a report's drill-down filter is set (the list then says so)."""
        return any(getattr(self, k) not in (None, "") for k in DRILL_KEYS) or bool(self.nulls) or self.rotting


def visible_deals(*, actor: User) -> QuerySet[Deal]:
    return Deal.objects.filter(scope_q(actor, "deals.Deal"))


def reached_stage_q(stage: Stage, prefix: str = "") -> Q:
    """Deals that reached ``stage`` (DESIGN.md §5): in its pipeline, with the furthest stage they visited at or
    after it in the pipeline's *current* order ``(position, id)``. ``prefix`` ("deal__") filters related rows.

    Reordering stages never makes a visited stage unreached: ``reorder_stages`` recomputes every deal's
    furthest stage from the log, and this comparison reads the positions as they are now.
    """
    furthest = f"{prefix}furthest_stage__"
    return Q(**{f"{prefix}pipeline_id": stage.pipeline_id}) & (
        Q(**{f"{furthest}position__gt": stage.position})
        | Q(**{f"{furthest}position": stage.position, f"{prefix}furthest_stage_id__gte": stage.pk}))


def has_reached(deal: Deal, stage: Stage) -> bool:
    """Python twin of ``reached_stage_q`` for one deal (its ``furthest_stage`` loaded)."""
    furthest = deal.furthest_stage
    return (deal.pipeline_id == stage.pipeline_id
            and (furthest.position, furthest.pk) >= (stage.position, stage.pk))


def _open_task_exists() -> Exists:
    return Exists(Task.objects.filter(deal=OuterRef("pk"), status=TaskStatus.OPEN))


def _overdue_task_exists(today: dt.date) -> Exists:
    return Exists(Task.objects.filter(deal=OuterRef("pk"), status=TaskStatus.OPEN, due_date__lt=today))


def filter_deals(qs: QuerySet[Deal], filters: DealFilter | None) -> QuerySet[Deal]:
    """The deals matching ``filters``; archived deals only when the filter asks for the archive."""
    f = filters or DealFilter()
    qs = qs.filter(is_archived=f.archived)
    if filters is None:
        return qs
    simple = {"owner_id": f.owner, "owner__team_id": f.team, "source_id": f.source, "channel_id": f.channel,
              "product_id": f.product, "client__region_id": f.region, "pipeline_id": f.pipeline,
              "stage_id": f.stage, "campaign_id": f.campaign, "client__target_audience_id": f.audience,
              "client__industry_id": f.industry, "owner_team_id": f.deal_team, "lost_reason_id": f.lost_reason,
              "furthest_stage_id": f.furthest}
    qs = qs.filter(**{k: v for k, v in simple.items() if v is not None})
    qs = qs.filter(**{f"{NULLABLE[k]}__isnull": True for k in f.nulls})
    if f.rating:
        qs = qs.filter(client__rating=f.rating)
    if f.status == CLOSED:
        qs = qs.filter(status__in=(DealStatus.WON, DealStatus.LOST))
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.currency:
        qs = qs.filter(currency=f.currency)
    if f.client_type:
        qs = qs.filter(is_new_client=f.client_type == "new")
    qs = qs.filter(_period_q("closed_at", f.closed_from, f.closed_to) & _period_q("created_at", f.created_from,
                                                                                  f.created_to))
    if f.paid_from or f.paid_to:
        paid = {"invoices__payments__paid_on__gte": f.paid_from, "invoices__payments__paid_on__lte": f.paid_to}
        qs = qs.filter(pk__in=Deal.objects.filter(**{k: v for k, v in paid.items() if v}).values("pk"))
    if f.nps or f.answered_from or f.answered_to:
        qs = qs.filter(NPS_GROUPS[f.nps or "answered"], survey__answered_at__isnull=False)
        qs = qs.filter(_period_q("survey__answered_at", f.answered_from, f.answered_to))
    if f.reached is not None:
        stage = Stage.objects.filter(pk=f.reached).first()
        qs = qs.filter(reached_stage_q(stage)) if stage is not None else qs.none()
    if f.rotting:
        qs = qs.filter(status=DealStatus.OPEN, stage__max_days__gt=0).annotate(
            _on_stage=_SecondsSince("stage_entered_at", Value(timezone.now(), output_field=DateTimeField()))
        ).filter(_on_stage__gt=F("stage__max_days") * 86400)
    if f.overdue:
        qs = qs.filter(_overdue_task_exists(timezone.localdate()))
    if f.no_task:
        qs = qs.filter(status=DealStatus.OPEN).exclude(_open_task_exists())
    if f.q:
        qs = qs.filter(_text_q(f.q))
    return qs


def _period_q(field_name: str, first: dt.date | None, last: dt.date | None) -> Q:
    """``field_name`` on local dates ``first``..``last`` (both inclusive; either may be open)."""
    tz = timezone.get_current_timezone()
    q = Q()
    if first is not None:
        q &= Q(**{f"{field_name}__gte": dt.datetime.combine(first, dt.time.min, tzinfo=tz)})
    if last is not None:
        q &= Q(**{f"{field_name}__lt": dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)})
    return q


class _SecondsSince(Func):
    """Whole seconds from ``start`` to ``end`` as a float (the same number on SQLite and PostgreSQL)."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        (start, start_params), (end, end_params) = (compiler.compile(e) for e in self.get_source_expressions())
        if connection.vendor == "postgresql":
            sql = f"ROUND(EXTRACT(EPOCH FROM ({end} - {start})))::float8"
        else:
            sql = f"ROUND((julianday({end}) - julianday({start})) * 86400.0)"
        return sql, [*start_params, *end_params]


def _text_q(text: str) -> Q:
    """Deal title or client name contains ``text``, ignoring case (Cyrillic too), or the normalised name does."""
    from voronka.clients.normalize import normalize_name

    q = text_contains("title", text) | text_contains("client__name", text)
    normalized = normalize_name(text)
    if normalized:
        q |= Q(client__name_normalized__contains=normalized)
    return q


def annotate_cards(qs: QuerySet[Deal]) -> QuerySet[Deal]:
    """What a card or a row shows: client, owner, stage, next open task date, overdue flag."""
    today = timezone.localdate()
    next_due = Task.objects.filter(deal=OuterRef("pk"), status=TaskStatus.OPEN).order_by("due_date")
    return qs.select_related("client", "owner", "stage").annotate(
        next_task_date=Subquery(next_due.values("due_date")[:1]),
        has_overdue=_overdue_task_exists(today),
    )


LIST_ORDERS = {"created_at", "-created_at", "amount", "-amount", "title", "-title", "stage_entered_at",
               "-stage_entered_at", "expected_close_date", "-expected_close_date", "owner__username",
               "-owner__username", "client__name", "-client__name", "stage__position", "-stage__position"}


def list_deals_page(*, actor: User, filters: DealFilter | None = None, order: str = "-created_at",
                    page: Any = 1, per_page: int = 50, related: tuple[str, ...] = ()) -> tuple[Any, list[Deal]]:
    """One page of the deal list: (Django ``Page`` of ids, the annotated deals of that page in order).

    The ids are sorted and paginated first; the per-row subqueries (next task, overdue) then run for the
    page's rows only, so sorting by any column stays fast at 100k deals.
    """
    from django.core.paginator import Paginator

    order = order if order in LIST_ORDERS else "-created_at"
    ids = filter_deals(visible_deals(actor=actor), filters).order_by(order, "-id").values_list("pk", flat=True)
    page_obj = Paginator(ids, per_page).get_page(page)
    page_ids = list(page_obj.object_list)
    rows = {d.pk: d for d in annotate_cards(Deal.objects.filter(pk__in=page_ids))
            .select_related("pipeline", "contact", *related)}
    return page_obj, decorate_cards([rows[pk] for pk in page_ids if pk in rows])


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
    # Sums per currency, base currency first: amounts in different currencies are never added.
    totals: list[tuple[str, Decimal]] = field(default_factory=list)
    cards: list[Deal] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return len(self.cards) < self.count

    @property
    def weighted(self) -> list[tuple[str, Decimal]]:
        """The weighted forecast per currency: the column's sum × the stage's win probability."""
        probability = Decimal(self.stage.probability or 0)
        return [(code, (amount * probability / 100).quantize(Decimal("1"))) for code, amount in self.totals]

    @property
    def next_offset(self) -> int:
        return len(self.cards)


def decorate_cards(cards: list[Deal], now: dt.datetime | None = None,
                   stages: dict[int, Stage] | None = None) -> list[Deal]:
    """Card flags computed in Python (no queries): days on stage, rotting, no open task, overdue task.

    ``stages`` (id → Stage) spares loading each card's stage (the board knows its columns)."""
    now = now or timezone.now()
    for deal in cards:
        if stages is not None:
            deal.stage = stages[deal.stage_id]  # known already: no per-card query
        stage = deal.stage
        deal.days_on_stage = max((now - deal.stage_entered_at).days, 0)
        deal.rotting = bool(stage.max_days and deal.status == DealStatus.OPEN
                            and now - deal.stage_entered_at > dt.timedelta(days=stage.max_days))
        deal.no_task = deal.status == DealStatus.OPEN and getattr(deal, "next_task_date", None) is None
        deal.overdue = bool(getattr(deal, "has_overdue", False))
    return cards


# What a kanban card reads; the rest (custom JSON, texts, the stage rulebook) stays in the database.
CARD_FIELDS = ("id", "title", "pipeline_id", "stage_id", "client_id", "owner_id", "amount", "currency", "status",
               "version", "stage_entered_at", "client__name", "owner__username", "owner__first_name",
               "owner__last_name", "client__phone")


def _cards_by_ids(ids: QuerySet | Q) -> QuerySet[Deal]:
    """Board cards for a bounded id subquery (or a Q of them): the per-card subqueries run only for those rows."""
    today = timezone.localdate()
    next_due = Task.objects.filter(deal=OuterRef("pk"), status=TaskStatus.OPEN).order_by("due_date")
    return Deal.objects.filter(ids if isinstance(ids, Q) else Q(pk__in=ids)).select_related("client", "owner").only(*CARD_FIELDS).annotate(
        next_task_date=Subquery(next_due.values("due_date")[:1]),
        next_task_kind=Subquery(next_due.values("kind")[:1]),
        has_overdue=_overdue_task_exists(today),
    )


def board_cards(*, actor: User, stage: Stage, filters: DealFilter | None = None, offset: int = 0,
                limit: int = BOARD_PAGE) -> list[Deal]:
    """One page of a column (``limit`` cards from ``offset``), in the board's order."""
    offset = max(int(offset or 0), 0)
    qs = filter_deals(visible_deals(actor=actor), filters).filter(
        pipeline_id=stage.pipeline_id, stage=stage, status=DealStatus.OPEN)
    ids = qs.order_by("stage_entered_at", "id").values("pk")[offset:offset + limit]
    cards = list(_cards_by_ids(ids).order_by("stage_entered_at", "id"))
    return decorate_cards(cards, stages={stage.pk: stage})


def board(*, actor: User, pipeline: Pipeline, filters: DealFilter | None = None,
          limit: int = BOARD_PAGE, stage_ids: list[int] | None = None) -> list[BoardColumn]:
    """Columns with count and sum per stage (one aggregate query) and the first ``limit`` cards of each
    (one query). ``stage_ids`` keeps only those columns (to re-render the ones a move touched)."""
    base = filter_deals(visible_deals(actor=actor), filters).filter(pipeline=pipeline, status=DealStatus.OPEN)
    # Prefetched by get_pipeline; archived stages have no open deals and no column.
    stages = sorted((s for s in pipeline.stages.all() if not s.is_archived), key=lambda s: (s.position, s.pk))
    if stage_ids is not None:
        wanted = set(stage_ids)
        stages = [s for s in stages if s.pk in wanted]
        base = base.filter(stage_id__in=[s.pk for s in stages])
    if not stages:
        return []
    counts: dict[int, int] = {}
    sums: dict[int, dict[str, Decimal]] = {}
    for row in base.order_by().values("stage_id", "currency").annotate(n=Count("id"), s=Sum("amount")):
        counts[row["stage_id"]] = counts.get(row["stage_id"], 0) + row["n"]
        sums.setdefault(row["stage_id"], {})[row["currency"]] = row["s"] or Decimal("0")
    columns = [BoardColumn(stage=stage, count=counts.get(stage.pk, 0), totals=ordered_totals(sums.get(stage.pk, {})))
               for stage in stages]
    if limit <= 0:
        return columns
    # One query for the first page of every column: a LIMIT-ed id subquery per stage. (A ROW_NUMBER() window
    # over the pipeline sorts every open deal of the pipeline; per-stage top-N reads are several times
    # faster at 100k deals, and instant with an index on (pipeline, status, stage, stage_entered_at).)
    pages = [base.filter(stage_id=stage.pk).order_by("stage_entered_at", "id").values_list("pk", flat=True)[:limit]
             for stage in stages]
    if connection.features.supports_slicing_ordering_in_compound:
        # PostgreSQL: a UNION ALL of the per-stage index scans, then the cards by id. (An OR of IN-subqueries
        # makes its planner scan the whole deals table.)
        first_pages = Q(pk__in=list(pages[0].union(*pages[1:], all=True)))
    else:
        # SQLite cannot LIMIT inside a compound query; it runs the OR of IN-subqueries by the index.
        first_pages = Q()
        for page in pages:
            first_pages |= Q(pk__in=page)
    by_stage: dict[int, list[Deal]] = {}
    for deal in _cards_by_ids(first_pages).order_by("stage_id", "stage_entered_at", "id"):
        by_stage.setdefault(deal.stage_id, []).append(deal)
    now = timezone.now()
    by_id = {s.pk: s for s in stages}
    for column in columns:
        column.cards = decorate_cards(by_stage.get(column.stage.pk, []), now, by_id)
    return columns


def board_summary(*, actor: User, pipeline: Pipeline, filters: DealFilter | None = None) -> dict[str, Any]:
    """Open deals of the board and their sums per currency (one aggregate query)."""
    base = filter_deals(visible_deals(actor=actor), filters).filter(pipeline=pipeline, status=DealStatus.OPEN)
    rows = list(base.order_by().values("currency").annotate(n=Count("id"), s=Sum("amount")))
    return {"count": sum(r["n"] for r in rows),
            "totals": ordered_totals({r["currency"]: r["s"] or Decimal("0") for r in rows})}


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



# --- Global search (the top bar) --------------------------------------------------------------------

SEARCH_LIMIT = 20
SEARCH_MIN_LENGTH = 2
_PHONE_LIKE = frozenset("0123456789+-() .")


@dataclass
class SearchResults:
    """What the global search found, per group, within the actor's scope.

    ``elsewhere`` are clients outside the scope that match the text exactly by phone, email or INN:
    the UI names them ("exists, belongs to X") without a link, so duplicates stay discoverable.
    ``more_*`` tell that a group was cut at the limit.
    """

    text: str
    clients: list[Any] = field(default_factory=list)
    contacts: list[Any] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    elsewhere: list[Any] = field(default_factory=list)
    more_clients: bool = False
    more_contacts: bool = False
    more_deals: bool = False

    @property
    def total(self) -> int:
        return len(self.clients) + len(self.contacts) + len(self.deals) + len(self.elsewhere)


def _phone_fragments(text: str) -> list[str]:
    """Digit strings to look for in stored E.164 phones, whatever format the text is in."""
    if not text or not set(text) <= _PHONE_LIKE:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 5:
        return []
    if len(digits) >= 10:
        return [digits[-10:]]  # "8 (916) 123-45-67", "+7 916 1234567", "9161234567": the national number
    out = [digits]
    if digits[0] == "8" and len(digits) >= 6:
        out.append("7" + digits[1:])  # a Russian trunk prefix typed as the country code
    return out


def _exact_keys(text: str) -> Q | None:
    """Exact phone / email / INN keys of ``text`` for the out-of-scope duplicate lookup."""
    from voronka.clients.models import Contact
    from voronka.clients.normalize import normalize_email, normalize_phone
    from voronka.core.errors import DomainError

    q = Q()
    if set(text) <= _PHONE_LIKE and sum(ch.isdigit() for ch in text) >= 10:
        try:
            phone = normalize_phone(text)
        except DomainError:
            phone = ""
        if phone:
            q |= Q(phone=phone) | Q(pk__in=Contact.objects.filter(phone=phone).values("client_id"))
    if "@" in text:
        try:
            email = normalize_email(text)
        except DomainError:
            email = ""
        if email:
            q |= Q(email=email) | Q(pk__in=Contact.objects.filter(email=email).values("client_id"))
    if text.isdigit() and len(text) in (10, 12):
        q |= Q(inn=text)
    return q or None


def global_search(*, actor: User, text: str, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Clients (by name, phone, email, INN, or a matching contact), contacts and deals (by title or by a
    matching client) the actor may see, at most ``limit`` per group, in four queries whatever the data size."""
    from django.db.models import Case, When

    from voronka.clients.models import Client, Contact
    from voronka.clients.normalize import normalize_name

    text = " ".join((text or "").split())[:100]
    results = SearchResults(text=text)
    if len(text) < SEARCH_MIN_LENGTH:
        return results
    name_q = text_contains("name", text)
    normalized = normalize_name(text)
    phones = _phone_fragments(text)

    contact_q = name_q
    client_q = name_q
    if normalized:
        client_q |= Q(name_normalized__contains=normalized)
    if len(text) >= 3:
        contact_q |= Q(email__icontains=text.lower())
        client_q |= Q(email__icontains=text.lower())
    for fragment in phones:
        contact_q |= Q(phone__contains=fragment)
        client_q |= Q(phone__contains=fragment)
    if text.isdigit() and len(text) >= 4:
        client_q |= Q(inn__startswith=text)

    visible = Client.objects.filter(scope_q(actor, "clients.Client")).exclude(status="archived")
    matching_contacts = Contact.objects.filter(contact_q)
    client_q |= Q(pk__in=matching_contacts.values("client_id"))
    clients = list(visible.filter(client_q).select_related("responsible").order_by("name", "id")[:limit + 1])
    contacts = list(
        matching_contacts.filter(client__in=visible.values("pk"))
        .select_related("client").order_by("name", "id")[:limit + 1]
    )
    # A deal matches by its title or by its client (name, phone, email, INN, a contact): a phone typed
    # during an incoming call finds the deal too.
    deal_q = text_contains("title", text) | Q(client_id__in=Client.objects.filter(client_q).values("pk"))
    deals = list(
        visible_deals(actor=actor).filter(deal_q, is_archived=False)
        .select_related("client", "stage", "pipeline", "owner")
        .order_by(Case(When(status=DealStatus.OPEN, then=0), default=1), "-created_at", "-id")[:limit + 1]
    )
    results.clients, results.more_clients = clients[:limit], len(clients) > limit
    results.contacts, results.more_contacts = contacts[:limit], len(contacts) > limit
    results.deals, results.more_deals = deals[:limit], len(deals) > limit

    exact = _exact_keys(text)
    if exact is not None and actor.scope != "all":
        results.elsewhere = list(
            Client.objects.filter(exact).exclude(pk__in=visible.values("pk"))
            .select_related("responsible").order_by("name", "id")[:limit]
        )
    return results


def stage_questions(*, deal: Deal, stage: Stage | None = None) -> list[dict[str, Any]]:
    """The questions the stage asks (catalogue questions, by id) with the client's answers (two queries)."""
    from voronka.clients.models import QualificationAnswer
    from voronka.clients.selectors import question_key
    from voronka.pipelines.selectors import asked_questions

    stage = stage or deal.stage
    questions = asked_questions(stage)
    if not questions:
        return []
    answers = {a.question_id: a for a in QualificationAnswer.objects.filter(
        client_id=deal.client_id, question_id__in=[q.pk for q in questions])}
    return [{"question": q, "answer": answers.get(q.pk), "key": question_key(q),
             "required": stage.questions_required} for q in questions]


def deals_for_bulk(*, actor: User, ids: list[int]) -> list[Deal]:
    """The visible deals among ``ids`` (others are silently absent), for bulk actions."""
    if not ids:
        return []
    return list(visible_deals(actor=actor).filter(pk__in=ids).select_related("owner", "client"))


def deal_tasks(*, deal: Deal) -> list[Task]:
    return list(deal.tasks.select_related("assignee").order_by("status", "due_date", "id"))


def deal_timeline(*, deal: Deal, limit: int = 200) -> list:
    from voronka.activities.models import Activity

    return list(Activity.objects.filter(deal=deal).select_related("author").order_by("-at", "-id")[:limit])


def deal_list_columns(*, actor: User) -> list:
    """The columns ``actor`` shows in the deal list (``deals.columns``), in his order, else the default ones.

    Two small queries whatever the choice (the preference and the active custom deal fields), so the list's
    query count does not depend on the columns chosen."""
    from voronka.catalog.models import CustomFieldDefinition
    from voronka.deals.columns import DEFAULT_COLUMNS, resolve_columns
    from voronka.deals.models import DealListPreference

    keys = (DealListPreference.objects.filter(user_id=actor.pk).values_list("columns", flat=True).first()
            or list(DEFAULT_COLUMNS))
    definitions = list(CustomFieldDefinition.objects.filter(entity="deal", is_active=True)
                       .order_by("sort_order", "label", "id"))
    return resolve_columns(keys, definitions) or resolve_columns(DEFAULT_COLUMNS, definitions)
