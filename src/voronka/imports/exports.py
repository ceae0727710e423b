"""Exports of deals, clients and tasks within the user's scope, as CSV, XLSX or JSON, streamed.

Rows are read through the apps' scoped selectors (``visible_deals``, ``visible_clients``, ``visible_tasks``)
with ``values_list`` and ``iterator``, so memory stays flat whatever the size. The columns are plain values
(ids, names, ISO dates, decimals as text), importable again with a mapping.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import require_perm
from voronka.activities.selectors import visible_tasks
from voronka.clients.selectors import visible_clients
from voronka.core.errors import DomainError
from voronka.deals.selectors import visible_deals

COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "deals": (("id", "id"), ("title", "title"), ("pipeline", "pipeline__name"), ("stage", "stage__name"),
              ("status", "status"), ("client", "client__name"), ("owner", "owner__username"),
              ("amount", "amount"), ("currency", "currency"), ("product", "product__name"),
              ("source", "source__name"), ("lost_reason", "lost_reason__name"), ("created_at", "created_at"),
              ("closed_at", "closed_at"), ("expected_close_date", "expected_close_date")),
    "clients": (("id", "id"), ("name", "name"), ("kind", "kind"), ("status", "status"), ("inn", "inn"),
                ("phone", "phone"), ("email", "email"), ("industry", "industry__name"),
                ("region", "region__name"), ("source", "source__name"), ("responsible", "responsible__username"),
                ("created_at", "created_at")),
    "tasks": (("id", "id"), ("title", "title"), ("kind", "kind"), ("status", "status"), ("due_date", "due_date"),
              ("assignee", "assignee__username"), ("deal_id", "deal_id"), ("client", "client__name"),
              ("outcome", "outcome"), ("created_at", "created_at"), ("completed_at", "completed_at")),
}
FORMATS = ("csv", "xlsx", "json")


def _queryset(actor: User, kind: str):
    if kind == "deals":
        return visible_deals(actor=actor).order_by("pk")
    if kind == "clients":
        return visible_clients(actor=actor).order_by("pk")
    return visible_tasks(actor=actor).order_by("pk")


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def export_rows(*, actor: User, kind: str) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the rows of ``kind`` the actor may see."""
    require_perm(actor, "view")
    if kind not in COLUMNS:
        raise DomainError(_("Unknown export kind “%(k)s”; one of: %(all)s.")
                          % {"k": kind, "all": ", ".join(COLUMNS)}, field="kind")
    header = [name for name, _path in COLUMNS[kind]]
    paths = [path for _name, path in COLUMNS[kind]]
    rows = (list(map(_plain, row)) for row in _queryset(actor, kind).values_list(*paths).iterator(chunk_size=2000))
    return header, rows


def write_export(*, actor: User, kind: str, fmt: str, out: IO[str] | None = None, path: str = "") -> int:
    """Write the export to ``out`` (CSV, JSON lines of one array) or to ``path`` (XLSX); the row count."""
    if fmt not in FORMATS:
        raise DomainError(_("The format is csv, xlsx or json."), field="format")
    header, rows = export_rows(actor=actor, kind=kind)
    count = 0
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(kind)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
            count += 1
        book.save(path)
        return count
    assert out is not None
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    out.write("[")
    for row in rows:
        out.write(("," if count else "") + "\n" + json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count
