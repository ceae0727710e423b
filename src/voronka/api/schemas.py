"""Schemas shared by the routers: bounded ids, references, problem JSON, and small helpers to resolve ids.

Output is built by plain functions (``*_out``) from objects the selectors loaded with their relations, so a
list page runs a fixed number of queries; the schemas document the shapes in OpenAPI.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BeforeValidator

from voronka.core.errors import NotFound
from voronka.core.params import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]  # path and query (text to parse)
# In JSON bodies an id is a JSON integer: not true (lax mode reads it as 1), not "5", not 5.0.
RefId = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1, strict=True)]
Text = Annotated[str, Field(max_length=255)]
LongText = Annotated[str, Field(max_length=20_000)]
Limit = Annotated[int, Field(ge=1, le=200)]
Cursor = Annotated[str, Field(max_length=64)]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ISO_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?", re.ASCII)


def _iso_date(value: Any) -> Any:
    """Dates are YYYY-MM-DD text (pydantic alone would read 0 or "1700000000" as a Unix time)."""
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("a date is YYYY-MM-DD")


def _iso_time(value: Any) -> Any:
    """Times are local wall-clock HH:MM[:SS], without an offset (the installation's time zone)."""
    if isinstance(value, dt.time) or (isinstance(value, str) and _ISO_TIME.fullmatch(value)):
        return value
    raise ValueError("a time is HH:MM or HH:MM:SS, without a time zone")


Date = Annotated[dt.date, BeforeValidator(_iso_date)]
Time = Annotated[dt.time, BeforeValidator(_iso_time)]
# Amounts are strings ("1200.50", "1 200,50") or numbers; the services' money parser checks them.
Amount = Annotated[str | int | float, Field(union_mode="left_to_right")]


class Problem(Schema):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    fields: list[str] = []
    errors: list[dict[str, Any]] = []


ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem}


class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    username: str
    name: str


def ref(obj, attr: str = "name") -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": str(getattr(obj, attr))}


def user_ref(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.get_full_name() or user.username}


def resolve(selector, field: str, /, **kwargs):
    """Call a selector for an id given in a body; its ``NotFound`` names the field."""
    try:
        return selector(**kwargs)
    except NotFound as exc:
        raise NotFound(_("Not found: %(field)s.") % {"field": field}, field=field) from exc


def iso(value: dt.date | dt.datetime | dt.time | None) -> str | None:
    return value.isoformat() if value is not None else None
