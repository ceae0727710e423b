"""The change history of a deal or a client, and the administrators' audit log with its CSV export."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from voronka.audit.forms import AuditFilterForm
from voronka.audit.selectors import HISTORY_LIMIT, AuditFilters, history_of, search_audit
from voronka.audit.services import record_export
from voronka.clients.selectors import get_client
from voronka.core.http import get_or_404
from voronka.core.tabular import csv_response
from voronka.deals.selectors import get_deal

PAGE_SIZE = 100
FILTER_KEYS = ("user", "object_type", "object_id", "action", "field", "date_from", "date_to")


def _text(value: str) -> str:
    """``pk:label`` (how foreign keys are stored) shows as the label."""
    head, sep, tail = value.partition(":")
    return tail if sep and head.isdigit() and head.isascii() else value


def _label(obj, entry) -> str:
    if not entry.field:
        return entry.action
    try:
        return str(obj._meta.get_field(entry.field).verbose_name).capitalize()
    except FieldDoesNotExist:  # a custom field key, a registry key: shown as stored
        return entry.field


def _changes(request, obj):
    entries = history_of(obj, limit=HISTORY_LIMIT + 1)
    for entry in entries:
        entry.label, entry.old_text, entry.new_text = _label(obj, entry), _text(entry.old), _text(entry.new)
    return render(request, "audit/_changes.html", {"entries": entries[:HISTORY_LIMIT], "limit": HISTORY_LIMIT,
                                                   "truncated": len(entries) > HISTORY_LIMIT})


@login_required
@require_GET
def deal_changes(request, deal_id: int):
    return _changes(request, get_or_404(get_deal, actor=request.user, deal_id=deal_id))


@login_required
@require_GET
def client_changes(request, client_id: int):
    return _changes(request, get_or_404(get_client, actor=request.user, client_id=client_id))


def _csv(entries, actor, query: str) -> StreamingHttpResponse:
    record_export(actor=actor, what="audit", rows=entries.count(), filters=query)
    header = [_("When"), _("Who"), _("Action"), _("Object type"), _("Object id"), _("Field"), _("Was"),
              _("Became")]
    rows = ([e.at, e.actor.username if e.actor else "system", e.action, e.object_type, e.object_id, e.field,
             e.old, e.new] for e in entries.iterator(chunk_size=2000))
    return csv_response("voronka-audit.csv", header, rows)


@require_GET
def audit_log(request) -> HttpResponse:
    """Administrators only (the settings URLs check it): every entry, filtered, paged, exportable as CSV."""
    given = {k: v for k, v in request.GET.items() if k in FILTER_KEYS and v}
    form = AuditFilterForm(given or None)
    valid = not given or form.is_valid()
    entries = search_audit(filters=form.filters() if given and valid else AuditFilters())
    if not valid:
        entries = entries.none()  # a bad filter shows its error, not everything
    query = urlencode(given)
    if request.GET.get("export") == "csv" and valid:
        return _csv(entries, request.user, query)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"form": form, "page_obj": page, "query": query, "section": "audit"},
                  status=200 if valid else 400)
