"""One date parser for the imports and the bank statements (``voronka.core.dates``)."""

import datetime as dt

import pytest

from voronka.billing import statements
from voronka.core.dates import parse_day, parse_moment
from voronka.imports import importers


@pytest.mark.parametrize(("text", "day"), [
    ("2026-11-30", dt.date(2026, 11, 30)), ("30.11.2026", dt.date(2026, 11, 30)), ("30.11.26", dt.date(2026, 11, 30)),
    ("30/11/2026", dt.date(2026, 11, 30)), ("30.11.2026 14:30", dt.date(2026, 11, 30)),
    ("30.11.2026 14:30:00 МСК", dt.date(2026, 11, 30)), ("30 ноября 2026 г.", dt.date(2026, 11, 30)),
])
def test_parse_day_reads_the_usual_forms(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize("text", ["", "31.02.2026", "завтра", "2026-13-01", "11/30"])
def test_parse_day_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError):
        parse_day(text)


def test_parse_moment_keeps_the_time_and_the_format():
    assert parse_moment("2026-11-30 14:30") == dt.datetime(2026, 11, 30, 14, 30)
    assert parse_moment("11/30/2026", fmt="%m/%d/%Y") == dt.date(2026, 11, 30)


def test_both_importers_use_the_one_parser():
    assert statements.parse_day is parse_day
    assert importers.parse_moment is parse_moment
