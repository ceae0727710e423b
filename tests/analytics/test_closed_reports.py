"""Closed-deal reports against an independent computation over the same generated history."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.analytics import oracle
from tests.analytics.history import NOW, lead_of_other_team
from voronka.analytics.engine import full_scope_actor, run_report

pytestmark = pytest.mark.django_db


def canon(rows):
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


def ours(actor, name, **params):
    return run_report(actor=actor, name=name, params=params, now=NOW).rows


BYS = [[], ["manager"], ["team"], ["product"], ["client_type"], ["month"], ["region", "quarter"],
       ["channel", "source"], ["week"], ["industry", "manager"]]


@pytest.mark.parametrize("by", BYS, ids=lambda b: ",".join(b) or "total")
def test_win_rate_equals_plain_python(history, by):
    actor = full_scope_actor()
    assert ours(actor, "win-rate", by=",".join(by)) and \
        canon(ours(actor, "win-rate", by=",".join(by))) == canon(oracle.win_rate(actor, by))


@pytest.mark.parametrize("by", BYS, ids=lambda b: ",".join(b) or "total")
def test_cycle_equals_plain_python(history, by):
    actor = full_scope_actor()
    assert canon(ours(actor, "cycle", by=",".join(by))) == canon(oracle.cycle(actor, by))


@pytest.mark.parametrize("by", [[], ["manager"], ["month"], ["product", "client_type"]], ids=str)
def test_revenue_and_average_check_equal_plain_python_per_currency(history, by):
    actor = full_scope_actor()
    assert canon(ours(actor, "revenue", by=",".join(by))) == canon(oracle.money(actor, by, check=False))
    got = ours(actor, "avg-check", by=",".join(by))
    assert {r["currency"] for r in got} == {"RUB", "USD"}
    assert canon(got) == canon(oracle.money(actor, by, check=True))


@pytest.mark.parametrize("by", [[], ["manager"], ["region"]], ids=str)
def test_lost_reasons_equal_plain_python(history, by):
    from voronka.analytics.reports.closed import furthest_stage_path

    actor = full_scope_actor()
    got = ours(actor, "lost-reasons", by=",".join(by))
    assert got and canon(got) == canon(oracle.lost_reasons(actor, by, stage_key=f"{furthest_stage_path()}_id"))
    assert round(sum(r["share_pct"] for r in got)) == 100


def test_period_bounds_are_local_dates_inclusive(history):
    actor = full_scope_actor()
    start, end = dt.date(2026, 4, 1), dt.date(2026, 6, 30)
    got = ours(actor, "win-rate", by="month", **{"from": "2026-04-01", "to": "2026-06-30"})
    assert {r["month"] for r in got} <= {dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 6, 1)}
    assert canon(got) == canon(oracle.win_rate(actor, ["month"], start, end))
    assert canon(ours(actor, "cycle", by="manager", **{"from": "2026-04-01", "to": "2026-06-30"})) == \
        canon(oracle.cycle(actor, ["manager"], start, end))


def test_an_empty_period_gives_no_rows(history):
    actor = full_scope_actor()
    for name in ("win-rate", "cycle", "avg-check", "revenue", "lost-reasons"):
        assert ours(actor, name, **{"from": "2020-01-01", "to": "2020-01-31"}) == []
        assert ours(actor, name, by="", **{"from": "2020-01-01", "to": "2020-01-31"}) == []


def test_reports_read_through_the_actors_scope(history):
    world = history.world
    for actor in (world.owner, world.lead, lead_of_other_team(world), world.head):
        assert canon(ours(actor, "win-rate", by="manager")) == canon(oracle.win_rate(actor, ["manager"]))
        assert canon(ours(actor, "revenue", by="")) == canon(oracle.money(actor, [], check=False))
    managers = {r["manager_id"] for r in ours(world.owner, "win-rate", by="manager")}
    assert managers == {world.owner.pk}


def test_pipeline_and_slice_filters(history):
    world = history.world
    actor = full_scope_actor()
    got = ours(actor, "win-rate", by="manager", pipeline="outreach")
    assert canon(got) == canon(oracle.win_rate(actor, ["manager"], pipeline_id=world.other_pipeline.pk))
    only = ours(actor, "win-rate", by="manager", product=str(world.product.pk))
    facts = [f for f in oracle.facts(actor) if f["status"] in ("won", "lost") and f["product_id"] == world.product.pk]
    assert sum(r["closed"] for r in only) == len(facts)
    none = ours(actor, "win-rate", by="", product="none")
    assert none[0]["closed"] == sum(1 for f in oracle.facts(actor)
                                    if f["status"] in ("won", "lost") and f["product_id"] is None)


def test_stuck_equals_plain_python(history):
    world = history.world
    for actor in (full_scope_actor(), world.lead, world.owner):
        for by in (["manager"], ["team"], []):
            got = ours(actor, "stuck", by=",".join(by))
            assert canon(got) == canon(oracle.stuck(actor, by, NOW)), (actor, by)
    assert any(r["past_max_days"] for r in ours(full_scope_actor(), "stuck"))
    assert any(r["overdue_tasks"] for r in ours(full_scope_actor(), "stuck"))


def test_a_manager_who_changed_team_keeps_his_deals_in_the_old_team(history):
    """Team reports read the team recorded on the deal; scope follows the current team."""
    from voronka.analytics.slices import deal_has

    if not deal_has("owner_team"):
        pytest.skip("Deal.owner_team (the team snapshot) is not in this build")
    world, mover = history.world, history.mover
    actor = full_scope_actor()
    by_team = {r["team_id"]: r["closed"] for r in ours(actor, "win-rate", by="team")}
    mover_closed = sum(r["closed"] for r in ours(actor, "win-rate", by="manager") if r["manager_id"] == mover.pk)
    assert mover_closed
    team_a_now = sum(f["status"] in ("won", "lost") for f in oracle.facts(actor)
                     if f["owner_id"] in (world.owner.pk, world.teammate.pk))
    assert by_team[world.team.pk] == team_a_now + mover_closed
    lead_b = lead_of_other_team(world)
    assert mover.pk in {r["manager_id"] for r in ours(lead_b, "win-rate", by="manager")}
