"""Downloads of the lists and timelines (``/export/deals.csv?<the list's filters>`` ...), in the user's scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_GET

from voronka.core import tabular
from voronka.core.errors import DomainError, NotFound
from voronka.core.http import error_response
from voronka.integrations.exports import LIST_KINDS, Export, build_export


def _respond(export: Export, fmt: str):
    if fmt == "csv":
        return tabular.csv_response(f"{export.filename}.csv", export.header, export.rows, bom=True)
    return tabular.xlsx_response(f"{export.filename}.xlsx", [(export.title, export.header, export.rows)])


def _export(request, fmt: str, **kwargs):
    if fmt not in tabular.FORMATS:
        raise Http404("Unknown format.")
    try:
        export = build_export(actor=request.user, params=request.GET, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        return error_response(request, exc)
    return _respond(export, fmt)


@login_required
@require_GET
def list_export(request, kind: str, fmt: str):
    if kind not in LIST_KINDS:
        raise Http404("Unknown export.")
    return _export(request, fmt, kind=kind)


@login_required
@require_GET
def deal_timeline_export(request, deal_id: int, fmt: str):
    return _export(request, fmt, kind="deal-timeline", object_id=deal_id)


@login_required
@require_GET
def client_timeline_export(request, client_id: int, fmt: str):
    return _export(request, fmt, kind="client-timeline", object_id=client_id)
