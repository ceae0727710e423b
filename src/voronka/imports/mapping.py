"""The mapping file: which column feeds which field, value maps, defaults, dictionaries and options.

A field is given as a column name (``owner: sales_agent``) or a dict with one source (``column``, ``value``
a constant, or ``template`` with ``{column}`` placeholders) and optionally ``values`` (a value map applied
before parsing, every hit counted in the report), ``if_empty`` (a default for empty cells, every use
reported as a warning; ``now`` is the import moment, ``{placeholder: NAME}`` a named placeholder client)
and ``create`` (dictionaries: create a missing entry, reported; default true for dictionaries).
"""

from __future__ import annotations

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

# Dates: ``voronka.core.dates.parse_moment`` (shared with the bank statement import).
