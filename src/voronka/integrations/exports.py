"""Exports of the lists (deals, clients, tasks) with the list's own filters, and of a deal's or a client's
timeline: always through the scoped selectors of the list, so an export shows exactly what its user may see.

An export is a header and a lazy stream of rows (``iterator()``: flat memory at 100k rows); pages and the CLI
write it as CSV, XLSX or JSON with ``voronka.core.tabular`` and audit it with ``audit.services.record_export``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.activities.models import Task, TaskStatus
from voronka.activities.selectors import timeline_entries, visible_tasks
from voronka.audit.services import record_export
from voronka.clients.selectors import ClientFilter, get_client, list_clients
from voronka.core.errors import DomainError
from voronka.core.params import parse_id
from voronka.deals.selectors import LIST_ORDERS, DealFilter, filter_deals, get_deal, visible_deals

LIST_KINDS = ("deals", "clients", "tasks")
TIMELINE_KINDS = ("deal-timeline", "client-timeline")
KINDS = LIST_KINDS + TIMELINE_KINDS
CHUNK = 2000
# The deal list's sort keys (``?o=``), as on its page.
DEAL_SORTS = {"title": "title", "client": "client__name", "amount": "amount", "stage": "stage__position",
              "owner": "owner__username", "close": "expected_close_date", "on_stage": "stage_entered_at",
              "created": "created_at"}


@dataclass
class Export:
    kind: str
    filename: str  # without the extension
    title: str  # the XLSX sheet
    header: list[str]
    rows: Iterable[list[Any]]
    count: int
    filters: str  # the filters as a query string, for the audit


def _name(user) -> str:
    return "" if user is None else (user.get_full_name() or user.username)


def _label(obj) -> str:
    return "" if obj is None else str(obj)


def _rows(qs: QuerySet, row) -> Iterator[list[Any]]:
    for obj in qs.iterator(chunk_size=CHUNK):
        yield row(obj)


def _deals(actor: User, params: Mapping[str, Any]) -> Export:
    filters = DealFilter.from_params(params)
    key = str(params.get("o") or "")
    order = ("-" if key.startswith("-") else "") + DEAL_SORTS.get(key.lstrip("-"), "")
    order = order if order in LIST_ORDERS else "-created_at"
    qs = (filter_deals(visible_deals(actor=actor), filters)
          .select_related("client", "pipeline", "stage", "owner", "source", "channel", "campaign", "product",
                          "lost_reason").order_by(order, "-id"))
    header = ["id", _("Deal"), _("Client"), _("Pipeline"), _("Stage"), _("Status"), _("Amount"), _("Currency"),
              _("Owner"), _("Source"), _("Channel"), _("Campaign"), _("Product"), _("Close date"), _("Created"),
              _("Closed"), _("Lost reason")]

    def row(d) -> list[Any]:
        return [d.pk, d.title, d.client.name, d.pipeline.name, d.stage.name, d.get_status_display(), d.amount,
                d.currency, _name(d.owner), _label(d.source), _label(d.channel), _label(d.campaign),
                _label(d.product), d.expected_close_date, d.created_at, d.closed_at, _label(d.lost_reason)]

    query = {**filters.as_query(), **({"o": key} if key.lstrip("-") in DEAL_SORTS else {})}
    return Export("deals", "voronka-deals", _("Deals"), header, _rows(qs, row), qs.count(), urlencode(query))


def _clients(actor: User, params: Mapping[str, Any]) -> Export:
    filters = ClientFilter.from_params(params)
    order = str(params.get("order") or "")
    qs = list_clients(actor=actor, filters=filters, order=order)
    header = ["id", _("Name"), _("Kind"), _("Status"), _("Rating"), _("INN / tax id"), _("Phone"), _("Email"),
              _("Responsible"), _("Region"), _("Source"), _("Created")]

    def row(c) -> list[Any]:
        return [c.pk, c.name, c.get_kind_display(), c.get_status_display(), c.rating, c.inn, c.phone, c.email,
                _name(c.responsible), _label(c.region), _label(c.source), c.created_at]

    query = {**filters.as_query(), **({"order": order} if order else {})}
    return Export("clients", "voronka-clients", _("Clients"), header, _rows(qs, row), qs.count(), urlencode(query))


def _tasks(actor: User, params: Mapping[str, Any]) -> Export:
    """Tasks the actor may see: ``status`` (open by default, or done, cancelled, ``all``) and ``assignee``."""
    status = str(params.get("status") or TaskStatus.OPEN)
    if status not in (*TaskStatus.values, "all"):
        raise DomainError(_("Unknown task status."), field="status")
    qs = visible_tasks(actor=actor)
    if status != "all":
        qs = qs.filter(status=status)
    assignee = parse_id(params.get("assignee"))
    if assignee is not None:
        qs = qs.filter(assignee_id=assignee)
    qs = qs.select_related("assignee", "deal", "client", "deal__client").order_by("due_date", "due_time", "id")
    header = ["id", _("Task"), _("Type"), _("Due date"), _("Due time"), _("Status"), _("Assignee"), _("Deal"),
              _("Client"), _("Outcome"), _("Outcome comment"), _("Completed")]

    def row(t: Task) -> list[Any]:
        client = t.deal.client if t.deal_id else t.client
        return [t.pk, t.title, t.get_kind_display(), t.due_date, t.due_time.strftime("%H:%M") if t.due_time else "",
                t.get_status_display(), _name(t.assignee), t.deal.title if t.deal_id else "",
                _label(getattr(client, "name", None)), t.get_outcome_display(), t.outcome_comment, t.completed_at]

    query = {"status": status, **({"assignee": str(assignee)} if assignee is not None else {})}
    return Export("tasks", "voronka-tasks", _("Tasks"), header, _rows(qs, row), qs.count(), urlencode(query))


def _timeline(actor: User, kind: str, object_id: Any) -> Export:
    if kind == "deal-timeline":
        target = get_deal(actor=actor, deal_id=object_id)
        qs = timeline_entries(deal=target)
    else:
        target = get_client(actor=actor, client_id=object_id)
        qs = timeline_entries(client=target)
    qs = qs.order_by("-at", "-id")
    header = [_("When"), _("Kind"), _("Author"), _("Deal"), _("Text")]

    def row(a) -> list[Any]:
        return [a.at, a.get_kind_display(), _name(a.author) if a.author_id else _("System"),
                a.deal.title if a.deal_id else "", a.body]

    prefix = "deal" if kind == "deal-timeline" else "client"
    return Export(kind, f"voronka-{prefix}-{target.pk}-timeline", _("Timeline"), header, _rows(qs, row),
                  qs.count(), urlencode({prefix: target.pk}))


def build_export(*, actor: User, kind: str, params: Mapping[str, Any] | None = None,
                 object_id: Any = None) -> Export:
    """The export of ``kind`` for ``actor`` (scoped), recorded in the audit log (kind, row count, filters).

    A timeline export names its deal or client by ``object_id``; outside the actor's scope it is ``NotFound``.
    """
    params = params or {}
    if kind == "deals":
        export = _deals(actor, params)
    elif kind == "clients":
        export = _clients(actor, params)
    elif kind == "tasks":
        export = _tasks(actor, params)
    elif kind in TIMELINE_KINDS:
        export = _timeline(actor, kind, object_id)
    else:
        raise DomainError(_("Unknown export: %(kind)s.") % {"kind": str(kind)[:40]}, field="kind")
    record_export(actor=actor, what=export.kind, rows=export.count, filters=export.filters)
    return export
