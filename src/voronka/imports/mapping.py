"""The mapping file: which column feeds which field, value maps, defaults, dictionaries and options.

A field is given as a column name (``owner: sales_agent``) or a dict with one source (``column``, ``value``
a constant, or ``template`` with ``{column}`` placeholders) and optionally ``values`` (a value map applied
before parsing, every hit counted in the report), ``if_empty`` (a default for empty cells, every use
reported as a warning; ``now`` is the import moment, ``{placeholder: NAME}`` a named placeholder client)
and ``create`` (dictionaries: create a missing entry, reported; default true for dictionaries).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from voronka.core.errors import DomainError

DEDUPE_POLICIES = ("skip", "update", "create")


class MappingError(DomainError):
    default_code = "bad_mapping"


@dataclass
class FieldMap:
    name: str
    column: str = ""
    value: Any = None
    template: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    if_empty: Any = None
    create: bool | None = None
    fmt: str = ""

    def columns(self) -> list[str]:
        if self.column:
            return [self.column]
        if self.template:
            return re.findall(r"\{([^{}]+)\}", self.template)
        return []


@dataclass
class Mapping:
    kind: str
    fields: dict[str, FieldMap]
    options: dict[str, Any]
    raw: dict[str, Any]

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


def _field(name: str, spec: Any) -> FieldMap:
    if isinstance(spec, str):
        return FieldMap(name=name, column=spec)
    if not isinstance(spec, dict):
        raise MappingError(_("Field “%(f)s”: give a column name or a dictionary.") % {"f": name}, field=name)
    unknown = set(spec) - {"column", "value", "template", "values", "if_empty", "create", "format"}
    if unknown:
        raise MappingError(_("Field “%(f)s”: unknown keys %(k)s.") % {"f": name, "k": ", ".join(sorted(unknown))},
                           field=name)
    sources = [k for k in ("column", "value", "template") if k in spec]
    if len(sources) != 1:
        raise MappingError(_("Field “%(f)s”: give exactly one of column, value or template.") % {"f": name},
                           field=name)
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise MappingError(_("Field “%(f)s”: values must map source values to values.") % {"f": name}, field=name)
    create = spec.get("create")
    if create is not None and not isinstance(create, bool):
        raise MappingError(_("Field “%(f)s”: create is true or false.") % {"f": name}, field=name)
    return FieldMap(name=name, column=str(spec.get("column") or ""), value=spec.get("value"),
                    template=str(spec.get("template") or ""),
                    values={str(k).strip(): v for k, v in values.items()}, if_empty=spec.get("if_empty"),
                    create=create, fmt=str(spec.get("format") or ""))


def parse_mapping(data: Any, *, kind: str, allowed: set[str], custom_allowed: bool = True) -> Mapping:
    """A validated mapping for ``kind``; ``allowed`` are the field names the kind takes."""
    if not isinstance(data, dict):
        raise MappingError(_("The mapping must be a YAML dictionary with a “fields” section."), field="mapping")
    declared = data.get("kind")
    if declared and declared != kind:
        raise MappingError(_("This mapping is for “%(a)s”, not “%(b)s”.") % {"a": declared, "b": kind},
                           field="mapping")
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, dict) or not raw_fields:
        raise MappingError(_("The mapping has no “fields” section."), field="mapping")
    fields: dict[str, FieldMap] = {}
    for name, spec in raw_fields.items():
        name = str(name)
        is_custom = name.startswith(("cf:", "client.cf:"))
        if name not in allowed and not (custom_allowed and is_custom):
            raise MappingError(_("Unknown field “%(f)s” for %(k)s; known: %(all)s.")
                               % {"f": name, "k": kind, "all": ", ".join(sorted(allowed))}, field=name)
        fields[name] = _field(name, spec)
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise MappingError(_("“options” must be a dictionary."), field="mapping")
    dedupe = options.get("dedupe", "skip")
    if dedupe not in DEDUPE_POLICIES:
        raise MappingError(_("options.dedupe is one of skip, update, create."), field="dedupe")
    return Mapping(kind=kind, fields=fields, options=options, raw=data)


def load_mapping(path: Path | str, *, kind: str, allowed: set[str]) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(_("The mapping file cannot be read: %(p)s.") % {"p": path}, field="mapping") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(_("The mapping file is not valid YAML: %(e)s") % {"e": exc}, field="mapping") from exc
    return parse_mapping(data, kind=kind, allowed=allowed)


# --- values ---------------------------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", re.ASCII)
_RU = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?", re.ASCII)
_RU_MONTHS = {
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7, "авг": 8, "сен": 9,
    "окт": 10, "ноя": 11, "дек": 12,
}
_RU_WORDS = re.compile(r"(\d{1,2})\s+([а-яё]+)\.?\s+(\d{4})(?:\s*г\.?)?", re.IGNORECASE)


def parse_moment(value: Any, *, fmt: str = "") -> dt.datetime | dt.date:
    """A date (or date and time) in ISO (``2016-10-20``, ``2016-10-20 14:30``), Russian (``20.10.2016``,
    ``20.10.16``, ``20/10/2016``, ``20 октября 2016``) or the mapping's ``format`` (strptime); ValueError else."""
    if isinstance(value, dt.datetime | dt.date):
        return value
    text = str(value).strip()
    if fmt:
        parsed = dt.datetime.strptime(text, fmt)
        return parsed if ("%H" in fmt or "%M" in fmt) else parsed.date()
    match = _ISO.fullmatch(text)
    if match:
        y, m, d, hh, mm, ss = match.groups()
    else:
        match = _RU.fullmatch(text)
        if match:
            d, m, y, hh, mm, ss = match.groups()
            if len(y) == 2:
                y = str(2000 + int(y))
        else:
            words = _RU_WORDS.fullmatch(text)
            if not words:
                raise ValueError(text)
            month = _RU_MONTHS.get(words.group(2).lower()[:3])
            if month is None:
                raise ValueError(text)
            return dt.date(int(words.group(3)), month, int(words.group(1)))
    day = dt.date(int(y), int(m), int(d))
    if hh is None:
        return day
    return dt.datetime(day.year, day.month, day.day, int(hh), int(mm), int(ss or 0))
