"""Report output as JSON, CSV and XLSX, each carrying the parameters it was computed with.

CSV: ``# key: value`` lines with the parameters, then a header of column keys and the rows.
XLSX (openpyxl write-only): a "Report" sheet (column labels, then rows) and a "Parameters" sheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _

from .engine import ReportResult

FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_jsonable(result: ReportResult) -> dict[str, Any]:
    return _plain(result.as_dict())


def to_json(result: ReportResult) -> str:
    return json.dumps(to_jsonable(result), ensure_ascii=False, indent=2)


def _param_lines(result: ReportResult) -> list[tuple[str, str]]:
    params = to_jsonable(result)["params"]
    out = [("report", result.report.name)]
    for key, value in params.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={'none' if v is None else v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ",".join(str(v) for v in value)
        out.append((key, "" if value is None else str(value)))
    return out


def iter_csv(result: ReportResult) -> Iterator[str]:
    """CSV text chunk by chunk (one line each), for a streaming response or a file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    for key, value in _param_lines(result):
        buffer.write(f"# {key}: {value}\n")
    yield flush()
    keys = [c.key for c in result.columns]
    writer.writerow(keys)
    yield flush()
    for row in result.rows:
        writer.writerow(["" if row.get(k) is None else _plain(row.get(k)) for k in keys])
        yield flush()


def write_xlsx(result: ReportResult, target: str | IO[bytes]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Report"))
    sheet.append([str(c.label) if c.kind != "id" else c.key for c in result.columns])
    for row in result.rows:
        sheet.append([_cell(row.get(c.key)) for c in result.columns])
    params = workbook.create_sheet(_("Parameters"))
    for key, value in _param_lines(result):
        params.append([key, value])
    workbook.save(target)


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def xlsx_bytes(result: ReportResult) -> bytes:
    out = io.BytesIO()
    write_xlsx(result, out)
    return out.getvalue()
