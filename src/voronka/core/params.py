"""Parsing of untrusted request parameters: a bad value becomes None, never an exception."""

from __future__ import annotations

import re
from typing import Any

MAX_ID = 2**63 - 1  # ids beyond the database's integer range are ignored, not an OverflowError
_ASCII_ID = re.compile(r"[0-9]{1,19}", re.ASCII)


def parse_id(value: Any, *, maximum: int = MAX_ID) -> int | None:
    """A positive database id from user input (ASCII digits only: not "²", "١", "１", "+1", "1_0"), or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not _ASCII_ID.fullmatch(text):
            return None
        number = int(text)
    return number if 0 < number <= maximum else None


def parse_ids(values: Any, *, maximum: int = MAX_ID, limit: int | None = None) -> list[int] | None:
    """A list of ids (e.g. a new order "4,1,2"): None when any item is not an id."""
    ids = []
    for value in values:
        number = parse_id(value, maximum=maximum)
        if number is None:
            return None
        ids.append(number)
        if limit is not None and len(ids) > limit:
            return None
    return ids
