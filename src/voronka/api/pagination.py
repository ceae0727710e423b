"""Keyset (cursor) pagination: ``{"items": [...], "next": URL or null}``.

Rows come in a fixed order on the primary key (newest first by default); the cursor is the last key of the
page, opaque to clients (URL-safe base64). A page is one query (``limit + 1`` rows tell whether another
page follows), whatever the page number: no OFFSET, and a row inserted meanwhile never shifts a page, so
walking the pages yields every row that existed at the start exactly once.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema

from voronka.core.errors import DomainError
from voronka.core.params import parse_id

T = TypeVar("T")
DEFAULT_LIMIT = 50


class Page(Schema, Generic[T]):
    items: list[T]
    next: str | None


def max_limit() -> int:
    return settings.VORONKA_API_PAGE_MAX


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"k{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor in (None, ""):
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        text = ""
    pk = parse_id(text[1:]) if text.startswith("k") else None
    if pk is None:
        raise DomainError(_("The cursor is not valid: use the next link of the previous page."), field="cursor",
                          code="invalid_cursor")
    return pk


def paginate(request: HttpRequest, qs: QuerySet, *, limit: int, cursor: str | None,
             descending: bool = True) -> tuple[list[Any], str | None]:
    """One page of ``qs`` ordered by ``pk`` and the URL of the next one (or None)."""
    limit = max(1, min(int(limit), max_limit()))
    after = decode_cursor(cursor)
    if after is not None:
        qs = qs.filter(pk__lt=after) if descending else qs.filter(pk__gt=after)
    rows = list(qs.order_by("-pk" if descending else "pk")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    params = request.GET.copy()
    params["cursor"] = encode_cursor(rows[-1].pk)
    params["limit"] = str(limit)
    return rows, request.build_absolute_uri(f"{request.path}?{urlencode(sorted(params.items()))}")
