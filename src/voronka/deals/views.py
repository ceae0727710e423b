"""Views of the kanban board, the deal list and the deal page.

Thin: each view parses input with a form, calls one selector or service, then renders. Actions that
change a deal answer htmx with a dialog fragment (swapped into ``#modal-root``), with out-of-band board
columns (``ctx=board``) or with ``HX-Refresh`` (the deal page).
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.accounts.models import Scope
from voronka.accounts.selectors import assignable_users, list_teams
from voronka.activities.models import TaskKind
from voronka.catalog.fields import FieldSpec, deal_fields
from voronka.core.currency import merge_totals
from voronka.core.errors import DomainError, MissingFields
from voronka.core.forms import apply_domain_error
from voronka.core.http import get_or_404
from voronka.core.params import parse_id
from voronka.core.urls import safe_next
from voronka.deals import selectors
from voronka.deals.columns import available_columns, columns_definitions
from voronka.deals.forms import (
    BoardContextForm,
    BulkReassignForm,
    DealFilterForm,
    DealValuesForm,
    LoseForm,
    MoveForm,
    PipelineChangeForm,
    ReopenForm,
    WinForm,
    lines_formset,
    posted_lines,
)
from voronka.deals.models import Deal
from voronka.deals.rules import fields_required_for_win, missing_fields
from voronka.deals.services import (
    change_deal_pipeline,
    lose_deal,
    move_deal,
    reassign_deal,
    reopen_deal,
    set_deal_archived,
    set_deal_lines,
    set_deal_list_columns,
    update_deal,
    win_deal,
)
from voronka.pipelines.selectors import get_pipeline, list_pipelines, ordered_stages

logger = logging.getLogger(__name__)

LAST_PIPELINE_KEY = "deals.last_pipeline"
BOARD_ONLY_KEYS = ("pipeline", "stage", "status")
# Sortable list columns → the order expression the selector allows.
SORT_COLUMNS = {
    "title": "title", "client": "client__name", "amount": "amount", "stage": "stage__position",
    "owner": "owner__username", "close": "expected_close_date", "on_stage": "stage_entered_at",
    "created": "created_at",
}


# --- helpers ---------------------------------------------------------------------------------------------------

def _deal(request, deal_id: int) -> Deal:
    return get_or_404(selectors.get_deal, actor=request.user, deal_id=deal_id)


def _pipeline(request, slug: str):
    return get_or_404(get_pipeline, actor=request.user, slug=slug)


def _board_filters(params) -> selectors.DealFilter:
    """The board's filters: the list-only ones (pipeline, stage, status) do not apply to columns."""
    filters = selectors.DealFilter.from_params(params)
    filters.pipeline = filters.stage = None
    filters.status = ""
    return filters


def card_labels() -> dict[str, str]:
    """Texts and URL prefix of the kanban cards, translated once per response (hundreds of cards render)."""
    return {
        "deal_url": reverse("deals:list"), "move": _("Move"), "no_amount": _("no amount"), "owner": _("Owner"),
        "task": _("Task"), "days_on_stage": _("Days on stage"),
        "overdue": _("Overdue task"), "no_task": _("No task"), "stuck": _("Stuck"), "call": _("Call"),
        **{f"kind_{value}": str(label) for value, label in TaskKind.choices},
    }


def _trigger(response: HttpResponse, events: dict) -> HttpResponse:
    response["HX-Trigger"] = json.dumps(events)
    return response


def _filter_form(request, *, board: bool) -> DealFilterForm:
    actor = request.user
    own = actor.scope == Scope.OWN
    users = [] if own else list(assignable_users(actor=actor))
    teams = [] if own or actor.scope == Scope.TEAM else list(list_teams())
    pipelines = [] if board else list(list_pipelines(actor=actor))
    form = DealFilterForm(request.GET or None, users=users, teams=teams, pipelines=pipelines, board=board)
    if own:
        form.fields.pop("owner", None)
        form.fields.pop("team", None)
    elif not teams:
        form.fields.pop("team", None)
    return form


def _ctx(form) -> tuple[str, str]:
    """(``board``/``page``, filters query) from a bound BoardContextForm (or its raw data if invalid)."""
    data = form.cleaned_data if form.is_valid() else {}
    ctx = data.get("ctx") or form.data.get("ctx") or "page"
    filters = data.get("filters") or form.data.get("filters") or ""
    return ("board" if ctx == "board" else "page"), str(filters)[:2000]


def _columns_response(request, deal: Deal, stage_ids, *, filters_query: str, message: str = "",
                      removed: Deal | None = None, events: dict | None = None) -> HttpResponse:
    """Out-of-band board columns (fresh counts, sums and first cards) after a move, win or lose."""
    filters = _board_filters(QueryDict(filters_query))
    columns = selectors.board(actor=request.user, pipeline=deal.pipeline, filters=filters,
                              stage_ids=[s for s in stage_ids if s])
    summary = (selectors.board_summary(actor=request.user, pipeline=deal.pipeline, filters=filters)
               if removed is not None else None)
    response = render(request, "deals/_columns_oob.html", {
        "columns": columns, "pipeline": deal.pipeline, "query": urlencode(filters.as_query()),
        "message": message, "removed": removed, "summary": summary, "L": card_labels(),
    })
    return _trigger(response, events or {})


def _message_response(request, message: str, *, title: str = "") -> HttpResponse:
    return render(request, "core/_error_dialog.html", {"message": message, "title": title or _("Not done")})


def _values_form(request, deal: Deal, keys: list[str], *, bound: bool, exclude=()) -> DealValuesForm | None:
    keys = [k for k in keys if k not in exclude]
    if not keys:
        return None
    return DealValuesForm(request.POST if bound else None, keys=keys, deal=deal)


def _posted_keys(request) -> list[str]:
    return [k for k in request.POST.getlist("fields") if k][:50]


# --- board -----------------------------------------------------------------------------------------------------

@login_required
@require_GET
def board_default(request):
    """The board of the user's last pipeline, or of the first active one."""
    pipelines = list(list_pipelines(actor=request.user))
    if not pipelines:
        return render(request, "deals/board.html", {"nav": "board", "pipelines": [], "pipeline": None})
    last = request.session.get(LAST_PIPELINE_KEY)
    slug = last if any(p.slug == last for p in pipelines) else pipelines[0].slug
    url = reverse("deals:board", args=[slug])
    if request.GET:
        url += "?" + request.GET.urlencode()
    return redirect(url)


@login_required
@require_GET
def board_view(request, slug: str):
    pipeline = _pipeline(request, slug)
    filters = _board_filters(request.GET)
    columns = selectors.board(actor=request.user, pipeline=pipeline, filters=filters)
    if request.session.get(LAST_PIPELINE_KEY) != pipeline.slug:
        request.session[LAST_PIPELINE_KEY] = pipeline.slug
    form = _filter_form(request, board=True)
    query = urlencode(filters.as_query())
    return render(request, "deals/board.html", {
        "nav": "board", "pipeline": pipeline,
        "pipelines": list(list_pipelines(actor=request.user).prefetch_related(None)),
        "columns": columns, "filter_form": form, "query": query, "L": card_labels(),
        "total_count": sum(c.count for c in columns), "total_sums": merge_totals(*(c.totals for c in columns)),
    })


@login_required
@require_GET
def board_column(request, slug: str, stage_id: int):
    """The next cards of one column (infinite scroll): ``?offset=50&<filters>``."""
    pipeline = _pipeline(request, slug)
    stage = next((s for s in ordered_stages(pipeline) if s.pk == stage_id), None)
    if stage is None:
        raise Http404(_("Stage not found."))
    offset = min(parse_id(request.GET.get("offset")) or 0, 1_000_000)
    filters = _board_filters(request.GET)
    cards = selectors.board_cards(actor=request.user, stage=stage, filters=filters, offset=offset,
                                  limit=selectors.BOARD_PAGE + 1)
    has_more = len(cards) > selectors.BOARD_PAGE
    return render(request, "deals/_cards.html", {
        "cards": cards[:selectors.BOARD_PAGE], "stage": stage, "pipeline": pipeline, "has_more": has_more,
        "next_offset": offset + selectors.BOARD_PAGE, "query": urlencode(filters.as_query()), "L": card_labels(),
    })


# --- move, win, lose, reopen ---------------------------------------------------------------------------------------

def _fields_dialog(request, deal: Deal, stage, form: DealValuesForm, ctx: str, filters: str, version,
                   message: str = "") -> HttpResponse:
    return render(request, "deals/_fields_dialog.html", {
        "deal": deal, "stage": stage, "form": form, "ctx": ctx, "filters": filters, "version": version,
        "message": message, "keys": form.keys,
    })


@login_required
@require_http_methods(["GET", "POST"])
def move_view(request, deal_id: int):
    """GET: the keyboard "Move" dialog. POST ``stage``, ``version`` (+ the fields a stage asks for): move."""
    deal = _deal(request, deal_id)
    if request.method == "GET":
        context_form = BoardContextForm(request.GET)
        ctx, filters = _ctx(context_form)
        return render(request, "deals/_move_dialog.html", {
            "deal": deal, "stages": ordered_stages(deal.pipeline), "ctx": ctx, "filters": filters,
            "version": deal.version,
        })
    form = MoveForm(request.POST)
    ctx, filters = _ctx(form)
    if not form.is_valid():
        message = " ".join(e for errors in form.errors.values() for e in errors)
        return _move_failed(request, deal, None, ctx, filters, message)
    stage_id, version = form.cleaned_data["stage"], form.cleaned_data["version"]
    stage = next((s for s in ordered_stages(deal.pipeline) if s.pk == stage_id), None)
    keys = _posted_keys(request)
    values_form = _values_form(request, deal, keys, bound=True) if keys else None
    if values_form is not None and not values_form.is_valid():
        return _fields_dialog(request, deal, stage, values_form, ctx, filters, version)
    old_stage_id = deal.stage_id
    try:
        deal = move_deal(actor=request.user, deal=deal, stage=stage_id, expected_version=version,
                         values=values_form.values() if values_form is not None else None)
    except MissingFields as exc:
        missing = DealValuesForm(request.POST if keys else None, keys=exc.fields, deal=deal)
        if keys:
            missing.is_valid()
        return _fields_dialog(request, deal, stage, missing, ctx, filters, version,
                              message=exc.message if keys else "")
    except DomainError as exc:
        if values_form is not None and exc.code != "stale" and values_form.owns(exc.field):
            values_form.add_service_error(exc)
            return _fields_dialog(request, deal, stage, values_form, ctx, filters, version)
        return _move_failed(request, deal, stage_id, ctx, filters, exc.message)
    if ctx == "board":
        return _columns_response(request, deal, [old_stage_id, deal.stage_id], filters_query=filters, events={
            "deals:moved": {"deal": deal.pk, "stage": deal.stage_id}, "voronka:closeDialog": True})
    return _refresh(request, deal)


def _move_failed(request, deal: Deal, stage_id, ctx: str, filters: str, message: str) -> HttpResponse:
    """The card goes back (columns re-rendered from the database) and the reason is shown."""
    if ctx == "board":
        return _columns_response(request, deal, [deal.stage_id, stage_id], filters_query=filters, message=message,
                                 events={"deals:moveFailed": {"deal": deal.pk}, "voronka:closeDialog": True})
    if not request.htmx:
        messages.error(request, message)
        return redirect("deals:detail", deal.pk)
    return _message_response(request, message)


def _refresh(request, deal: Deal) -> HttpResponse:
    """The deal page reloads (stage path, rulebook, tasks and history all change after a move)."""
    if not request.htmx:
        return redirect("deals:detail", deal.pk)
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response


def _get_context(request) -> tuple[str, str, int | None]:
    """Where a dialog was opened from (board or page), the board filters and the version the user saw."""
    context_form = BoardContextForm(request.GET)
    ctx, filters = _ctx(context_form)
    version = context_form.cleaned_data.get("version") if context_form.is_valid() else None
    return ctx, filters, version


def _closed_response(request, deal: Deal, ctx: str, filters: str, old_stage_id: int, event: str) -> HttpResponse:
    if ctx == "board":
        return _columns_response(request, deal, [old_stage_id], filters_query=filters, removed=deal,
                                 events={event: {"deal": deal.pk}, "voronka:closeDialog": True})
    return _refresh(request, deal)


@login_required
@require_http_methods(["GET", "POST"])
def win_view(request, deal_id: int):
    """Close as won: the amount (prefilled) and whatever the current stage still needs."""
    deal = _deal(request, deal_id)
    if request.method == "GET":
        ctx, filters, version = _get_context(request)
        form = WinForm(initial={"amount": deal.amount if deal.amount else None, "ctx": ctx, "filters": filters,
                                "version": version or deal.version})
        extra = _values_form(request, deal, missing_fields(deal, fields_required_for_win(deal)) if deal.is_open else [],
                             bound=False, exclude=("amount",))
        return _dialog(request, "deals/_win_dialog.html", deal, form, extra, ctx, filters)
    form = WinForm(request.POST)
    ctx, filters = _ctx(form)
    extra = _values_form(request, deal, _posted_keys(request), bound=True, exclude=("amount",))
    valid = form.is_valid() & (extra is None or extra.is_valid())
    if valid:
        old_stage_id = deal.stage_id
        try:
            deal = win_deal(actor=request.user, deal=deal, amount=form.cleaned_data["amount"],
                            expected_version=form.cleaned_data["version"],
                            values=extra.values() if extra is not None else None)
            return _closed_response(request, deal, ctx, filters, old_stage_id, "deals:won")
        except MissingFields as exc:
            if "amount" in exc.fields:
                form.add_error("amount", exc.message)
            others = [k for k in exc.fields if k != "amount"]
            if others:
                extra = DealValuesForm(request.POST, keys=others, deal=deal)
                extra.is_valid()
                if not form.has_error("amount"):
                    form.add_error(None, exc.message)
        except DomainError as exc:
            _form_error(form, extra, exc)
    return _dialog(request, "deals/_win_dialog.html", deal, form, extra, ctx, filters)


def _form_error(form, extra: DealValuesForm | None, exc: DomainError) -> None:
    if extra is not None and extra.owns(exc.field):
        extra.add_service_error(exc)
    else:
        apply_domain_error(form, exc)


def _dialog(request, template: str, deal: Deal, form, extra, ctx: str, filters: str, **more) -> HttpResponse:
    return render(request, template, {"deal": deal, "form": form, "extra": extra, "ctx": ctx, "filters": filters,
                                      **more})


@login_required
@require_http_methods(["GET", "POST"])
def lose_view(request, deal_id: int):
    """Close as lost: a reason (required) and a comment."""
    deal = _deal(request, deal_id)
    if request.method == "GET":
        ctx, filters, version = _get_context(request)
        form = LoseForm(initial={"ctx": ctx, "filters": filters, "version": version or deal.version})
        return _dialog(request, "deals/_lose_dialog.html", deal, form, None, ctx, filters)
    form = LoseForm(request.POST)
    ctx, filters = _ctx(form)
    if form.is_valid():
        old_stage_id = deal.stage_id
        try:
            deal = lose_deal(actor=request.user, deal=deal, reason=form.cleaned_data["lost_reason"],
                             comment=form.cleaned_data["comment"], expected_version=form.cleaned_data["version"])
            return _closed_response(request, deal, ctx, filters, old_stage_id, "deals:lost")
        except DomainError as exc:
            apply_domain_error(form, exc)
    return _dialog(request, "deals/_lose_dialog.html", deal, form, None, ctx, filters)


@login_required
@require_http_methods(["GET", "POST"])
def reopen_view(request, deal_id: int):
    """Back to work: a closed deal returns to a stage with a new task."""
    deal = _deal(request, deal_id)
    stages = ordered_stages(deal.pipeline)
    if request.method == "GET":
        form = ReopenForm(initial={"version": deal.version}, stages=stages, current=deal.stage)
        return _dialog(request, "deals/_reopen_dialog.html", deal, form, None, "page", "")
    form = ReopenForm(request.POST, stages=stages, current=deal.stage)
    if form.is_valid():
        try:
            reopen_deal(actor=request.user, deal=deal, task=form.task(), stage=form.cleaned_data["stage"] or None,
                        expected_version=form.cleaned_data["version"])
            return _refresh(request, deal)
        except DomainError as exc:
            apply_domain_error(form, exc)
    return _dialog(request, "deals/_reopen_dialog.html", deal, form, None, "page", "")


def _pipeline_change_dialog(request, deal: Deal, form: PipelineChangeForm, stage, extra: DealValuesForm | None,
                            *, status: int = 200) -> HttpResponse:
    return render(request, "deals/_pipeline_dialog.html", {"deal": deal, "form": form, "extra": extra,
                                                           "stage": stage}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_change_view(request, deal_id: int):
    """Move an open deal to another pipeline: GET the dialog (``?pipeline=`` re-renders the stage choices),
    POST ``pipeline``, ``stage``, ``version`` and the fields the stage demands."""
    deal = _deal(request, deal_id)
    pipelines = [p for p in list_pipelines(actor=request.user) if p.pk != deal.pipeline_id]
    by_id = {p.pk: p for p in pipelines}
    data = request.POST if request.method == "POST" else request.GET
    chosen = by_id.get(parse_id(data.get("pipeline"))) or (pipelines[0] if pipelines else None)
    stages = ordered_stages(chosen) if chosen is not None else []
    initial = {"version": deal.version, "pipeline": chosen.pk if chosen else None}
    if request.method == "GET":
        form = PipelineChangeForm(initial=initial, pipelines=pipelines, stages=stages)
        template = "deals/_pipeline_stage_field.html" if request.GET.get("part") == "stage" else None
        if template:
            return render(request, template, {"form": form})
        return _pipeline_change_dialog(request, deal, form, None, None)
    form = PipelineChangeForm(request.POST, pipelines=pipelines, stages=stages)
    keys = _posted_keys(request)
    extra = _values_form(request, deal, keys, bound=True) if keys else None
    valid = form.is_valid() & (extra is None or extra.is_valid())
    stage = next((s for s in stages if s.pk == form.cleaned_data.get("stage")), None) if valid else None
    if valid:
        try:
            change_deal_pipeline(actor=request.user, deal=deal, pipeline=chosen, stage=stage or None,
                                 values=extra.values() if extra is not None else None,
                                 expected_version=form.cleaned_data["version"])
            return _refresh(request, deal)
        except MissingFields as exc:
            extra = DealValuesForm(request.POST if keys else None, keys=exc.fields, deal=deal)
            if keys:
                extra.is_valid()
            form.add_error(None, exc.message)
        except DomainError as exc:
            _form_error(form, extra, exc)
    return _pipeline_change_dialog(request, deal, form, stage or (stages[0] if stages else None), extra)


# --- list ----------------------------------------------------------------------------------------------------------

@login_required
@require_GET
def deal_list(request):
    filters = selectors.DealFilter.from_params(request.GET)
    order_key = request.GET.get("o", "")
    column = order_key.lstrip("-")
    if column in SORT_COLUMNS:
        order = ("-" if order_key.startswith("-") else "") + SORT_COLUMNS[column]
    else:
        order_key, order = "", "-created_at"
    columns = selectors.deal_list_columns(actor=request.user)
    page, rows = selectors.list_deals_page(actor=request.user, filters=filters, order=order,
                                           page=request.GET.get("page"),
                                           related=tuple(r for c in columns for r in c.related))
    form = _filter_form(request, board=False)
    users = list(assignable_users(actor=request.user))
    shown = {c.key for c in columns}
    return render(request, "deals/list.html", {
        "nav": "deals", "page": page, "rows": rows, "filter_form": form, "order_key": order_key,
        "columns": columns,
        # the chooser: the shown columns in their order, then the others (standard, then custom fields)
        "chooser": [(c, True) for c in columns] + [(c, False) for c in available_columns(columns_definitions(columns))
                                                   if c.key not in shown],
        "chooser_open": request.GET.get("chooser") == "1",
        "users": users, "can_reassign": not request.user.is_read_only,
        "next_url": request.get_full_path(),
        # A report's drill-down filters: kept (hidden) when the visible filters change, and said on the page.
        "drill_params": [(k, v) for k, v in filters.as_query().items()
                         if k in selectors.DRILL_KEYS or k == "rotting" or v == "none"],
    })


@login_required
@require_POST
def list_columns(request):
    """Save the deal list's columns: ``order`` (every key, as listed), ``columns`` (the checked ones), and an
    optional ``up``/``down`` key that moves one column; a move comes back to the open chooser."""
    order = [k for k in request.POST.getlist("order") if k][:100]
    shown = set(request.POST.getlist("columns"))
    moved = request.POST.get("up") or request.POST.get("down")
    if moved in order:
        i = order.index(moved)
        j = i - 1 if request.POST.get("up") else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
    next_url = safe_next(request, "deals:list")
    try:
        set_deal_list_columns(actor=request.user, columns=[k for k in order if k in shown])
    except DomainError as exc:
        messages.error(request, exc.message)
        moved = moved or "error"
    if moved and "chooser=1" not in next_url:
        next_url += ("&" if "?" in next_url else "?") + "chooser=1"
    if moved:
        next_url += "#column-chooser"
    return redirect(next_url)


@login_required
@require_POST
def bulk_reassign(request):
    """Give the selected deals to another owner: only deals in the actor's scope; reports moved and errors."""
    users = list(assignable_users(actor=request.user))
    form = BulkReassignForm(request.POST, users=users)
    next_url = safe_next(request, "deals:list")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(next_url)
    ids = form.cleaned_data["deal"]
    owner = form.users[form.cleaned_data["owner"]]
    deals = selectors.deals_for_bulk(actor=request.user, ids=ids)
    moved, errors = 0, []
    for deal in deals:
        if deal.owner_id == owner.pk:
            continue
        try:
            reassign_deal(actor=request.user, deal=deal, owner=owner)
            moved += 1
        except DomainError as exc:
            errors.append(f"{deal.title}: {exc.message}")
    hidden = len(ids) - len(deals)
    if moved:
        messages.success(request, ngettext("%(n)s deal reassigned to %(owner)s.",
                                           "%(n)s deals reassigned to %(owner)s.", moved)
                         % {"n": moved, "owner": owner})
    elif not errors and not hidden:
        messages.info(request, _("Nothing to change: the selected deals already belong to %(owner)s.")
                      % {"owner": owner})
    if hidden:
        messages.error(request, ngettext("%(n)s deal was not found or is outside your scope.",
                                         "%(n)s deals were not found or are outside your scope.", hidden)
                       % {"n": hidden})
    for error in errors[:10]:
        messages.error(request, error)
    return redirect(next_url)


# --- deal page ---------------------------------------------------------------------------------------------------

def _split_tasks(tasks) -> dict:
    """Open tasks (by due date), then the closed ones, latest first."""
    open_tasks = sorted((t for t in tasks if t.status == "open"), key=lambda t: (t.due_date, t.pk))
    closed = sorted((t for t in tasks if t.status != "open"),
                    key=lambda t: (t.completed_at or t.created_at), reverse=True)
    return {"open_tasks": open_tasks, "closed_tasks": closed}


def field_row(deal: Deal, spec: FieldSpec, *, has_lines: bool | None = None) -> dict:
    """What the deal page shows for one editable field: label, value for people, whether the stage needs it.

    With product lines the amount is their total: the row is read-only (``locked``)."""
    locked = spec.key == "amount" and (deal.lines.exists() if has_lines is None else has_lines)
    return {"key": spec.key, "label": str(spec.label), "value": spec.display(deal),
            "dom_id": "f-" + spec.key.replace(":", "-").replace(".", "-"),
            "required": deal.is_open and spec.key in (deal.stage.required_fields or []), "locked": locked}


def _page_context(request, deal: Deal) -> dict:
    data = selectors.deal_page_data(deal=deal)
    stages = ordered_stages(deal.pipeline, keep=deal.stage_id)  # a deal closed on an archived stage shows it
    current_index = next((i for i, s in enumerate(stages) if s.pk == deal.stage_id), 0)
    registry = deal_fields()
    tasks = _split_tasks(data["tasks"])
    open_tasks = tasks["open_tasks"]
    today = timezone.localdate()
    now = timezone.now()
    deal.days_on_stage = max((now - deal.stage_entered_at).days, 0)
    deal.rotting = selectors.is_rotting(deal, now)
    deal.no_task = deal.is_open and not open_tasks
    deal.overdue = any(t.due_date < today for t in open_tasks)
    rows = [field_row(deal, spec, has_lines=bool(data["lines"])) for spec in registry.specs(inline=True)]
    return {
        "nav": "board", "deal": deal, "stages": stages, "current_index": current_index,
        "lines": data["lines"], **tasks, "timeline": data["timeline"],
        "durations": selectors.stage_durations(data["history"]), "questions": selectors.stage_questions(deal=deal),
        "field_rows": rows, "required_labels": registry.labels(list(deal.stage.required_fields or [])),
        "today": today, **_links(deal),
    }


def _links(deal: Deal) -> dict:
    return {
        "client_url": reverse("clients:detail", args=[deal.client_id]),
        "task_new_url": f"{reverse('activities:create')}?deal={deal.pk}",
        "timeline_add_url": reverse("activities:timeline_add"),
        "board_url": reverse("deals:board", args=[deal.pipeline.slug]),
    }


@login_required
@require_GET
def deal_detail(request, deal_id: int):
    deal = _deal(request, deal_id)
    return render(request, "deals/detail.html", _page_context(request, deal))


@login_required
@require_GET
def deal_tasks(request, deal_id: int):
    """The tasks panel alone (re-fetched after a task is completed or created)."""
    deal = _deal(request, deal_id)
    return render(request, "deals/_tasks.html", {"deal": deal, "today": timezone.localdate(),
                                                 **_split_tasks(selectors.deal_tasks(deal=deal)), **_links(deal)})


@login_required
@require_GET
def deal_timeline(request, deal_id: int):
    deal = _deal(request, deal_id)
    return render(request, "deals/_timeline.html", {"deal": deal, "timeline": selectors.deal_timeline(deal=deal),
                                                    **_links(deal)})


def _inline_spec(key: str, registry) -> FieldSpec:
    spec = registry.get(key)
    if spec is None or not spec.inline:
        raise Http404(_("Unknown field."))
    return spec


@login_required
@require_http_methods(["GET", "POST"])
def deal_field(request, deal_id: int, key: str):
    """Inline edit of one field: GET the small form (``?display=1``: the value), POST to save it."""
    deal = _deal(request, deal_id)
    registry = deal_fields()
    spec = _inline_spec(key, registry)
    context = {"deal": deal, "row": field_row(deal, spec)}
    if request.method == "GET":
        if request.GET.get("display"):
            return render(request, "deals/_field.html", context)
        form = DealValuesForm(keys=[key], deal=deal, registry=registry, required=False)
        return render(request, "deals/_field_edit.html", {**context, "form": form})
    form = DealValuesForm(request.POST, keys=[key], deal=deal, registry=registry, required=False)
    if form.is_valid():
        try:
            version = BoardContextForm(request.POST).posted_version()
            deal = update_deal(actor=request.user, deal=deal, values=form.values(), expected_version=version)
            return render(request, "deals/_field.html", {"deal": deal, "row": field_row(deal, spec),
                                                         "saved": True})
        except DomainError as exc:
            form.add_service_error(exc)
    return render(request, "deals/_field_edit.html", {**context, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def deal_lines(request, deal_id: int):
    """The products table: GET the edit form (``?display=1``: the table), POST to replace the lines."""
    deal = _deal(request, deal_id)
    lines = list(deal.lines.select_related("product"))
    if request.method == "GET" and request.GET.get("display"):
        return render(request, "deals/_lines.html", {"deal": deal, "lines": lines})
    if request.method == "GET":
        return render(request, "deals/_lines_edit.html", {"deal": deal, "formset": lines_formset(lines=lines)})
    formset = lines_formset(data=request.POST, lines=lines)
    errors: list[str] = []
    if formset.is_valid():
        new_lines = posted_lines(formset, lines, request.POST)
        if new_lines is None:  # nothing to change (e.g. a post without the rows): no write, no new version
            return render(request, "deals/_lines.html", {"deal": deal, "lines": lines})
        try:
            version = BoardContextForm(request.POST).posted_version()
            deal = set_deal_lines(actor=request.user, deal=deal, lines=new_lines, expected_version=version)
            lines = list(deal.lines.select_related("product"))
            return render(request, "deals/_lines.html", {"deal": deal, "lines": lines, "saved": True,
                                                         "amount_row": field_row(deal, deal_fields().get("amount"),
                                                                               has_lines=bool(lines))})
        except DomainError as exc:
            errors.append(exc.message)
    return render(request, "deals/_lines_edit.html", {"deal": deal, "formset": formset, "errors": errors})


@login_required
@require_POST
def archive_view(request, deal_id: int):
    """Archive a closed deal (out of lists and reports) or restore it; the page stays, with a badge."""
    deal = get_or_404(selectors.get_deal, actor=request.user, deal_id=deal_id)
    archived = request.POST.get("archived") == "1"
    try:
        set_deal_archived(actor=request.user, deal=deal, archived=archived)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Deal archived: it is out of lists and reports (Deals › Archive).") if archived
                         else _("Deal restored from the archive."))
    return redirect("deals:detail", deal_id=deal.pk)
