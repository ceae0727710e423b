"""The funnel in cohort and flow modes against an independent computation over the same log."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics import oracle
from tests.analytics.history import NOW
from tests.analytics.test_closed_reports import canon
from voronka.analytics.engine import full_scope_actor, run_report

pytestmark = pytest.mark.django_db


def ours(actor, **params):
    return run_report(actor=actor, name="funnel", params=params, now=NOW).rows


@pytest.mark.parametrize("by", [[], ["manager"], ["client_type"], ["product", "month"], ["team"]], ids=str)
@pytest.mark.parametrize("slug", ["inbound", "outreach"])
def test_cohort_funnel_equals_plain_python(history, by, slug):
    actor = full_scope_actor()
    pipeline = history.world.pipeline if slug == "inbound" else history.world.other_pipeline
    got = ours(actor, pipeline=slug, by=",".join(by))
    assert got and canon(got) == canon(oracle.funnel_cohort(actor, pipeline.pk, by))


@pytest.mark.parametrize("by", [[], ["manager"], ["week"], ["region", "client_type"]], ids=str)
def test_flow_funnel_equals_plain_python(history, by):
    actor = full_scope_actor()
    pipeline = history.world.pipeline
    got = ours(actor, pipeline="inbound", mode="flow", by=",".join(by))
    assert got and canon(got) == canon(oracle.funnel_flow(actor, pipeline.pk, by))


@pytest.mark.parametrize("mode", ["cohort", "flow"])
def test_funnel_in_a_period_and_in_scope(history, mode):
    world = history.world
    start, end = dt.date(2026, 4, 1), dt.date(2026, 7, 31)
    compute = oracle.funnel_cohort if mode == "cohort" else oracle.funnel_flow
    for actor in (world.owner, world.lead, full_scope_actor()):
        got = ours(actor, pipeline="inbound", mode=mode, **{"from": "2026-04-01", "to": "2026-07-31"})
        assert canon(got) == canon(compute(actor, world.pipeline.pk, [], start, end))


def test_an_empty_period_has_no_rows(history):
    assert ours(full_scope_actor(), **{"from": "2020-01-01", "to": "2020-12-31"}) == []
    assert ours(full_scope_actor(), mode="flow", **{"from": "2020-01-01", "to": "2020-12-31"}) == []


def test_the_history_has_the_hard_cases(history):
    """Skips, backward moves, reopened deals and two currencies really are in the generated data."""
    from voronka.deals.models import StageTransition

    kinds = set(StageTransition.objects.values_list("kind", flat=True))
    assert {"skip", "backward", "reopen", "won", "lost"} <= kinds


def test_cohort_totals_add_up(history):
    rows = ours(full_scope_actor(), pipeline="inbound")
    cohort = rows[0]["reached"]
    assert sum(r["dropped"] + r["won"] + r["open"] for r in rows) == cohort
    reached = [r["reached"] for r in rows]
    assert reached == sorted(reached, reverse=True)


def test_manager_stage_compares_each_manager_with_his_team(history):
    actor = full_scope_actor()
    pipeline = history.world.pipeline
    mine = {(r["team_id"], r["manager_id"], r["stage_id"]): r
            for r in oracle.funnel_cohort(actor, pipeline.pk, ["team", "manager"]) if r["reached"]}
    team = {(r["team_id"], r["stage_id"]): r["conversion_pct"] for r in oracle.funnel_cohort(actor, pipeline.pk, ["team"])}
    got = run_report(actor=actor, name="manager-stage", params={"pipeline": "inbound"}, now=NOW).rows
    assert len(got) == len(mine)
    for r in got:
        expected = mine[(r["team_id"], r["manager_id"], r["stage_id"])]
        assert (r["reached"], r["converted"], r["conversion_pct"]) == \
            (expected["reached"], expected["converted"], expected["conversion_pct"])
        assert r["team_conversion_pct"] == team[(r["team_id"], r["stage_id"])]
        if r["conversion_pct"] is not None and r["team_conversion_pct"] is not None:
            assert r["delta_pp"] == round(r["conversion_pct"] - r["team_conversion_pct"], 2)
