"""Streaming readers of import files: CSV (encoding and delimiter detected) and XLSX (openpyxl read-only).

``open_table(path)`` returns the header and an iterator of ``(row_number, values)``; the row number is the
spreadsheet's (the header is row 1). Memory does not grow with the file: rows are read one at a time.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from voronka.core.errors import DomainError

ENCODINGS = ("utf-8-sig", "utf-8", "cp1251")
DELIMITERS = ",;\t"
SAMPLE_BYTES = 64 * 1024
FIELD_LIMIT = 1_000_000  # characters in one cell


class FileError(DomainError):
    """The file as a whole cannot be read (format, encoding, header)."""

    default_code = "bad_file"


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str = ""
    delimiter: str = ""
    info: dict[str, Any] = field(default_factory=dict)


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` with a BOM, ``utf-8`` when the whole file decodes as UTF-8, else ``cp1251``."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileError(_("The file is in UTF-16; save it as UTF-8 or Windows-1251 CSV."), field="file")
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1251"
    return "utf-8"


def detect_delimiter(sample: str) -> str:
    """``,`` ``;`` or tab: csv.Sniffer over the first lines, else the most frequent of them in the header."""
    lines = sample.splitlines()
    try:
        return csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _clean_header(raw: list[Any]) -> list[str]:
    header = [str(v if v is not None else "").strip() for v in raw]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise FileError(_("The first row must name the columns; it is empty."), field="file")
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise FileError(_("Column “%(name)s” appears twice in the header.") % {"name": name}, field="file")
        seen.add(name)
    return header


def open_csv(path: Path, *, encoding: str = "", delimiter: str = "") -> Table:
    if path.stat().st_size == 0:
        raise FileError(_("The file is empty."), field="file")
    encoding = encoding or detect_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as handle:
            sample = handle.read(SAMPLE_BYTES)
    except (UnicodeDecodeError, LookupError) as exc:
        raise FileError(_("The file cannot be read as %(enc)s.") % {"enc": encoding}, field="file") from exc
    if "\x00" in sample:
        raise FileError(_("This is not a text (CSV) file: it contains NUL bytes. Upload CSV or XLSX."), field="file")
    if not sample.strip():
        raise FileError(_("The file is empty."), field="file")
    delimiter = delimiter or detect_delimiter(sample)
    csv.field_size_limit(FIELD_LIMIT)
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by the generator
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        header = _clean_header(next(reader))
    except (StopIteration, csv.Error) as exc:
        handle.close()
        raise FileError(_("The header row cannot be read."), field="file") from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        try:
            for values in reader:
                number += 1
                if not any(v.strip() for v in values):
                    continue
                yield number, values
        except csv.Error as exc:
            raise FileError(_("Row %(row)s cannot be read: %(reason)s.") % {"row": number + 1, "reason": exc},
                            field="file") from exc
        except UnicodeDecodeError as exc:
            raise FileError(_("Row %(row)s is not valid %(enc)s text.") % {"row": number + 1, "enc": encoding},
                            field="file") from exc
        finally:
            handle.close()

    return Table(header=header, rows=rows(), encoding=encoding, delimiter=delimiter)


def open_xlsx(path: Path, *, sheet: str = "") -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise FileError(_("The file is not a readable XLSX workbook."), field="file") from exc
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
    except (KeyError, IndexError) as exc:
        book.close()
        raise FileError(_("The workbook has no sheet “%(s)s”.") % {"s": sheet}, field="file") from exc
    iterator = ws.iter_rows(values_only=True)
    try:
        first = next(iterator)
    except StopIteration as exc:
        book.close()
        raise FileError(_("The file is empty."), field="file") from exc
    header = _clean_header(list(first))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, values in enumerate(iterator, start=2):
                if not any(v not in (None, "") for v in values):
                    continue
                yield number, ["" if v is None else v for v in values]
        finally:
            book.close()

    return Table(header=header, rows=rows(), info={"sheet": ws.title})


def open_table(path: Path | str, *, encoding: str = "", delimiter: str = "", sheet: str = "") -> Table:
    """The file's header and rows; the format follows the extension (``.xlsx``) or the content (zip magic)."""
    path = Path(path)
    if not path.is_file():
        raise FileError(_("File not found: %(path)s.") % {"path": path}, field="file")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if path.suffix.lower() in (".xlsx", ".xlsm") or magic == b"PK\x03\x04":
        return open_xlsx(path, sheet=sheet)
    if path.suffix.lower() == ".xls":
        raise FileError(_("Old Excel files (.xls) are not supported: save as XLSX or CSV."), field="file")
    return open_csv(path, encoding=encoding, delimiter=delimiter)
