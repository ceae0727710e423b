"""Parsing of untrusted request parameters: a bad value becomes None, never an exception."""

from __future__ import annotations

from typing import Any

MAX_ID = 2**63 - 1  # ids beyond the database's integer range are ignored, not an OverflowError


def parse_id(value: Any, *, maximum: int = MAX_ID) -> int | None:
    """A positive database id from user input, or None."""
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= maximum else None
