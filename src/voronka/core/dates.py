"""Dates typed by people and other programs: one parser for the imports and the bank statements."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

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


def parse_day(value: Any) -> dt.date:
    """The date of :func:`parse_moment` (a time after it is dropped); a trailing word after the date (a bank
    statement's ``30.11.2026 14:30:00 МСК``) is ignored. ValueError if there is no date."""
    text = str(value or "").strip()
    try:
        moment = parse_moment(text)
    except ValueError:
        moment = parse_moment(text.split(" ")[0])
    return moment.date() if isinstance(moment, dt.datetime) else moment
