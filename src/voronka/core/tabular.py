"""Tables out: CSV (streamed, safe against formula injection) and XLSX (openpyxl write-only), one plumbing for
every export (lists, timelines, the audit log, reports) on pages and in the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such text gets a
# leading apostrophe, which spreadsheets show as plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads UTF-8 CSV (Cyrillic) right only with it


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def csv_cell(value: Any) -> Any:
    """One CSV value: text made safe, dates ISO 8601 (local time), ``None`` empty, numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return _local(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return value
    return safe_text(str(value))


def xlsx_cell(value: Any) -> Any:
    """One XLSX value: numbers as numbers, dates as dates (local, naive: the format has no zones), text safe."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return timezone.make_naive(value) if timezone.is_aware(value) else value
    if isinstance(value, dt.date):
        return value
    return safe_text(str(value))[:32_767]  # a cell's limit


def json_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return _local(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Line:
    """A file-like that hands back what the CSV writer writes (one line at a time, for streaming)."""

    def write(self, value: str) -> str:
        return value


def iter_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = False,
             preamble: Iterable[str] = ()) -> Iterator[str]:
    """CSV text line by line: optional ``preamble`` lines (``# key: value``), the header, the rows."""
    writer = csv.writer(_Line(), lineterminator="\n")
    first = BOM if bom else ""
    for line in preamble:
        yield first + line + "\n"
        first = ""
    yield first + writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([csv_cell(v) for v in row])


Sheet = tuple[str, Sequence[Any] | None, Iterable[Sequence[Any]]]


def write_xlsx(target: str | IO[bytes], sheets: Iterable[Sheet]) -> None:
    """An XLSX file of ``(title, header or None, rows)`` sheets, written row by row (flat memory)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(str(title)[:31])
        if header is not None:
            sheet.append([xlsx_cell(h) for h in header])
        for row in rows:
            sheet.append([xlsx_cell(v) for v in row])
    workbook.save(target)


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, sheets)
    return out.getvalue()


def to_json(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    keys = [str(h) for h in header]
    return json.dumps([{k: json_cell(v) for k, v in zip(keys, row, strict=False)} for row in rows],
                      ensure_ascii=False, indent=2)


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = False,
                 preamble: Iterable[str] = ()) -> StreamingHttpResponse:
    response = StreamingHttpResponse(iter_csv(header, rows, bom=bom, preamble=preamble),
                                     content_type=CONTENT_TYPES["csv"])
    return _attachment(response, filename)


def xlsx_response(filename: str, sheets: Iterable[Sheet]) -> FileResponse:
    """The workbook spooled to a temporary file (in memory while small), then sent."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    write_xlsx(spool, sheets)
    spool.seek(0)
    response = FileResponse(spool, content_type=CONTENT_TYPES["xlsx"])
    return _attachment(response, filename)
