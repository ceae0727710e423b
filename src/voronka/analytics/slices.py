"""Slices a report can be filtered and grouped by (DESIGN.md §5), as ORM paths on a deal.

A slice names the grouped value (an id, a flag or a period start) and, for references, the columns its
label is made of; the label is joined in the same SQL query, never looked up row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, Value, When
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TRUNCS = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


def deal_has(name: str) -> bool:
    """Whether the deal model has ``name`` (the report model fields land separately from the reports)."""
    from voronka.deals.models import Deal

    return any(f.name == name for f in Deal._meta.get_fields())


# Team reports read the team recorded on the deal (a manager who changes team keeps his history there).
TEAM_REF = "owner_team" if deal_has("owner_team") else "owner__team"


@dataclass(frozen=True)
class Slice:
    key: str
    label: Any
    ref: str = ""  # the foreign key (or flag field) on a deal; "" for time slices (they truncate a date)
    label_fields: tuple[str, ...] = ("name",)  # on the referenced row
    kind: str = "ref"  # ref (output ``<key>_id`` and ``<key>``), flag, time

    @property
    def is_time(self) -> bool:
        return self.kind == "time"

    def output_keys(self) -> list[str]:
        return [f"{self.key}_id", self.key] if self.kind == "ref" else [self.key]


SLICES: dict[str, Slice] = {s.key: s for s in (
    Slice("client_type", _("new / current client"), "is_new_client", kind="flag"),
    Slice("manager", _("manager"), "owner", ("first_name", "last_name", "username")),
    Slice("team", _("team"), TEAM_REF),
    Slice("product", _("product"), "product"),
    Slice("channel", _("channel"), "channel"),
    Slice("source", _("source"), "source"),
    Slice("campaign", _("campaign"), "campaign"),
    Slice("target_audience", _("target audience"), "client__target_audience"),
    Slice("region", _("region"), "client__region"),
    Slice("industry", _("industry"), "client__industry"),
    Slice("pipeline", _("pipeline"), "pipeline"),
    Slice("week", _("week"), kind="time"),
    Slice("month", _("month"), kind="time"),
    Slice("quarter", _("quarter"), kind="time"),
)}

DEAL_SLICES = tuple(SLICES)
# Work done by a person (tasks, activities) is sliced by that person: the deal's other slices do not apply.
PEOPLE_SLICES = ("manager", "team")


@dataclass(frozen=True)
class Base:
    """How a report's base model reaches the slices: ``prefix`` to the deal, ``people`` overrides."""

    prefix: str = ""
    people: dict[str, str] | None = None

    def ref(self, slice_: Slice) -> str:
        if self.people and slice_.key in self.people:
            return self.people[slice_.key]
        return f"{self.prefix}{slice_.ref}"


DEAL_BASE = Base()


def value_expr(slice_: Slice, *, date_field: str | None, base: Base = DEAL_BASE):
    """The SQL expression grouped on."""
    if slice_.is_time:
        return TRUNCS[slice_.key](date_field, tzinfo=timezone.get_current_timezone())
    if slice_.kind == "flag":
        return Case(When(**{base.ref(slice_): True}, then=Value(1)), default=Value(0))
    return F(f"{base.ref(slice_)}_id")


def label_exprs(slice_: Slice, *, base: Base = DEAL_BASE) -> list:
    if slice_.kind != "ref":
        return []
    return [F(f"{base.ref(slice_)}__{field}") for field in slice_.label_fields]


def compose(slice_: Slice, value: Any, labels: list[Any]) -> dict[str, Any]:
    """The output columns of one slice for one grouped row (typed values; None where the deal has none)."""
    if slice_.is_time:
        return {slice_.key: period_start(value)}
    if slice_.kind == "flag":
        return {slice_.key: "new" if value else "current"}
    if value is None:
        return {f"{slice_.key}_id": None, slice_.key: None}
    if slice_.key == "manager":
        first, last, username = labels
        label = f"{first or ''} {last or ''}".strip() or username
    else:
        label = labels[0]
    return {f"{slice_.key}_id": value, slice_.key: label}


def period_start(value: Any) -> dt.date | None:
    """A truncated instant as the local date it starts on (raw SQL gives a string on SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.date() if isinstance(value, dt.datetime) else value


def filter_kwargs(slice_: Slice, value: Any, *, base: Base = DEAL_BASE) -> dict[str, Any]:
    """Keyword filter for ``slice=value`` (``None``: the rows without a value)."""
    ref = base.ref(slice_)
    if slice_.kind == "flag":
        return {ref: value == "new"}
    if value is None:
        return {f"{ref}__isnull": True}
    return {f"{ref}_id": value}
