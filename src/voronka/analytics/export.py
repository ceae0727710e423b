"""Report output as JSON, CSV and XLSX, each carrying the parameters it was computed with.

CSV: ``# key: value`` lines with the parameters, then a header of column keys and the rows.
XLSX (openpyxl write-only): a "Report" sheet (column labels, then rows) and a "Parameters" sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _

from voronka.core import tabular

from .engine import ReportResult

FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = tabular.CONTENT_TYPES


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
    keys = [c.key for c in result.columns]
    preamble = [f"# {key}: {value}" for key, value in _param_lines(result)]
    return tabular.iter_csv(keys, ([_plain(row.get(k)) for k in keys] for row in result.rows), preamble=preamble)


def write_xlsx(result: ReportResult, target: str | IO[bytes]) -> None:
    header = [str(c.label) if c.kind != "id" else c.key for c in result.columns]
    rows = ([row.get(c.key) for c in result.columns] for row in result.rows)
    tabular.write_xlsx(target, [(_("Report"), header, rows), (_("Parameters"), None, _param_lines(result))])


def xlsx_bytes(result: ReportResult) -> bytes:
    out = io.BytesIO()
    write_xlsx(result, out)
    return out.getvalue()
