"""Churn, repeat purchases and LTV against an independent computation over the same history."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics import oracle
from tests.analytics.history import NOW
from tests.analytics.test_closed_reports import canon
from voronka.analytics.engine import full_scope_actor, run_report
from voronka.core.errors import DomainError

pytestmark = pytest.mark.django_db
BYS = [[], ["region"], ["industry"], ["region", "industry"]]


def ours(actor, name, **params):
    return run_report(actor=actor, name=name, params=params, now=NOW).rows


@pytest.mark.parametrize("by", BYS, ids=str)
@pytest.mark.parametrize("period", [("2026-05-01", "2026-06-30"), ("2026-07-01", "2026-09-30"),
                                    ("2026-06-15", "2026-06-15")])
def test_churn_equals_plain_python(history, by, period):
    actor = full_scope_actor()
    got = ours(actor, "churn", by=",".join(by), **{"from": period[0], "to": period[1]})
    expected = oracle.churn(actor, by, dt.date.fromisoformat(period[0]), dt.date.fromisoformat(period[1]))
    assert canon(got) == canon(expected)


def test_churn_needs_a_period(history):
    with pytest.raises(DomainError) as exc:
        ours(full_scope_actor(), "churn")
    assert exc.value.field == "from"


def test_churn_in_scope_and_some_clients_churn(history):
    world = history.world
    for actor in (world.owner, world.lead, full_scope_actor()):
        got = ours(actor, "churn", **{"from": "2026-07-01", "to": "2026-09-30"})
        assert canon(got) == canon(oracle.churn(actor, [], dt.date(2026, 7, 1), dt.date(2026, 9, 30)))
    assert any(r["churned"] for r in ours(full_scope_actor(), "churn", **{"from": "2026-07-01", "to": "2026-09-30"}))


@pytest.mark.parametrize("by", BYS, ids=str)
def test_repeat_equals_plain_python(history, by):
    actor = full_scope_actor()
    got = ours(actor, "repeat", by=",".join(by))
    assert got and canon(got) == canon(oracle.repeat(actor, by))
    assert any(r["repeat_buyers"] for r in ours(actor, "repeat"))
    assert any(r["median_days_to_second"] for r in got)  # the history has repeat buyers with time between
    period = ours(actor, "repeat", by=",".join(by), **{"from": "2026-05-01", "to": "2026-08-31"})
    assert canon(period) == canon(oracle.repeat(actor, by, dt.date(2026, 5, 1), dt.date(2026, 8, 31)))


@pytest.mark.parametrize("by", BYS, ids=str)
def test_ltv_equals_plain_python(history, by):
    for actor in (full_scope_actor(), history.world.lead):
        got = ours(actor, "ltv", by=",".join(by))
        assert got and canon(got) == canon(oracle.ltv(actor, by))


@pytest.mark.parametrize("mode, period", [("week", ("2026-04-01", "2026-06-30")), ("month", ("2026-03-01", "2026-09-30"))])
@pytest.mark.parametrize("by", [["manager"], ["team"], []], ids=str)
def test_dips_equal_plain_python(history, mode, period, by):
    actor = full_scope_actor()
    got = ours(actor, "dips", mode=mode, by=",".join(by), **{"from": period[0], "to": period[1]})
    expected = oracle.dips(actor, by, dt.date.fromisoformat(period[0]), dt.date.fromisoformat(period[1]), mode)
    assert got and canon(got) == canon(expected)


def test_dips_threshold_is_a_setting(history, settings):
    actor = full_scope_actor()
    params = {"mode": "month", "from": "2026-03-01", "to": "2026-09-30"}
    settings.VORONKA_DIP_THRESHOLD_PCT = 90
    got = ours(actor, "dips", **params)
    assert all(r["change_pct"] <= -90 for r in got)
    assert canon(got) == canon(oracle.dips(actor, ["manager"], dt.date(2026, 3, 1), dt.date(2026, 9, 30), "month", 90))
