"""Plan vs fact (and the current month's forecast) against an independent computation over the same history."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics import oracle
from tests.analytics.history import NOW, at, lead_of_other_team
from tests.analytics.test_closed_reports import canon
from voronka.analytics.engine import full_scope_actor, run_report
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.plans.services import set_plan

pytestmark = pytest.mark.django_db
CURRENT = dt.date(2026, 10, 1)  # the month of NOW


@pytest.fixture(scope="module")
def planned(history, django_db_blocker):
    """Plans on top of the module's history (rolled back with it): managers, teams, one pipeline plan."""
    world, head = history.world, history.world.head
    with django_db_blocker.unblock(), at(NOW):
        for month in ("2026-05", "2026-06", "2026-10"):
            set_plan(actor=head, month=month, user=world.owner, target_amount="900000", target_count="3")
        set_plan(actor=head, month="2026-07", user=world.owner, pipeline=world.pipeline, target_amount="400000")
        set_plan(actor=head, month="2026-06", user=history.mover, target_amount="1 000 000,50", target_count=2)
        set_plan(actor=head, month="2026-10", user=world.outsider, target_count="4")
        set_plan(actor=head, month="2026-06", team=world.team, target_amount="2500000", target_count="9")
        set_plan(actor=head, month="2026-10", team=world.team, target_amount="3000000")
        set_plan(actor=head, month="2026-10", team=world.other_team, target_amount="0", target_count="1")
        set_plan(actor=head, month="2027-01", user=world.teammate, target_amount="100000")
        # The forecast counts open deals expected to close in the current month: some are, some are later,
        # some have no date (a stage that does not require it).
        open_ids = list(Deal.objects.filter(status="open").order_by("pk").values_list("pk", flat=True))
        Deal.objects.filter(pk__in=open_ids[0::3]).update(expected_close_date=dt.date(2026, 10, 20))
        Deal.objects.filter(pk__in=open_ids[1::6], stage__required_fields=[]).update(expected_close_date=None)
    return history


def ours(actor, **params):
    return run_report(actor=actor, name="plan-fact", params=params, now=NOW).rows


RANGES = [("2026-03-01", "2026-10-31"), ("2026-06-01", "2026-06-30"), ("2026-10-15", "2026-10-15"),
          ("2027-01-01", "2027-01-31")]


@pytest.mark.parametrize("by", ["manager", "team"])
@pytest.mark.parametrize("period", RANGES, ids=str)
def test_plan_fact_equals_plain_python(planned, by, period):
    actor = full_scope_actor()
    got = ours(actor, by=by, **{"from": period[0], "to": period[1]})
    first, last = (dt.date.fromisoformat(d).replace(day=1) for d in period)
    assert canon(got) == canon(oracle.plan_fact(actor, by, first, last, NOW))
    assert got or (by == "team" and first.year == 2027)  # 2027: only a manager's plan


def test_plan_fact_of_a_pipeline_compares_that_pipelines_plans_and_deals(planned):
    world = planned.world
    actor = full_scope_actor()
    got = ours(actor, pipeline="inbound", **{"from": "2026-03-01", "to": "2026-10-31"})
    expected = oracle.plan_fact(actor, "manager", dt.date(2026, 3, 1), dt.date(2026, 10, 1), NOW,
                                pipeline_id=world.pipeline.pk)
    assert canon(got) == canon(expected)
    july = [r for r in got if r["month"] == dt.date(2026, 7, 1) and r["manager_id"] == world.owner.pk]
    assert july and july[0]["plan_amount"] == 400000  # the pipeline plan shows only with its pipeline
    everywhere = ours(actor, **{"from": "2026-07-01", "to": "2026-07-31"})
    assert all(r["plan_amount"] is None for r in everywhere)


def test_edge_cases_empty_month_no_plan_team_plan_and_a_manager_who_moved(planned):
    world, mover = planned.world, planned.mover
    actor = full_scope_actor()
    assert ours(actor, **{"from": "2025-01-01", "to": "2025-01-31"}) == []  # an empty month: no rows
    may = {r["manager_id"]: r for r in ours(actor, **{"from": "2026-05-01", "to": "2026-05-31"})}
    assert may[world.owner.pk]["plan_amount"] == 900000  # the owner has a plan, the outsider only deals
    assert may[world.outsider.pk]["plan_amount"] is None and may[world.outsider.pk]["plan_count"] is None
    assert may[world.outsider.pk]["fact_count"] and may[world.outsider.pk]["done_pct"] is None
    june = {r["manager_id"]: r for r in ours(actor, **{"from": "2026-06-01", "to": "2026-06-30"})}
    assert june[mover.pk]["plan_amount"] == 1000000.50 and june[mover.pk]["fact_count"] == 0
    # A team's row counts the deals recorded with that team: the mover's deals stay in team A.
    teams = {r["team_id"]: r for r in ours(actor, by="team", **{"from": "2026-06-01", "to": "2026-06-30"})}
    team_a = [f for f in oracle.facts(actor) if f["status"] == "won" and f["owner_team_id"] == world.team.pk
              and f["closed_local"].date().replace(day=1) == dt.date(2026, 6, 1)]
    assert any(f["owner_id"] == mover.pk for f in oracle.facts(actor) if f["owner_team_id"] == world.team.pk)
    assert teams[world.team.pk]["fact_count"] == len(team_a)
    assert teams[world.team.pk]["plan_amount"] == 2500000 and teams[world.team.pk]["plan_count"] == 9
    # A plan of 0 is no base for a percentage.
    october = {r["team_id"]: r for r in ours(actor, by="team", **{"from": "2026-10-01", "to": "2026-10-31"})}
    assert october[world.other_team.pk]["done_pct"] is None
    # A future month with a plan and no deals: fact 0, no forecast.
    (future,) = ours(actor, **{"from": "2027-01-01", "to": "2027-01-31"})
    assert future["fact_amount"] == 0 and future["done_pct"] == 0 and future["forecast_amount"] is None


def test_forecast_is_fact_plus_open_deals_weighted_by_the_stage_history(planned):
    actor = full_scope_actor()
    result = run_report(actor=actor, name="plan-fact", params={}, now=NOW)  # no period: the current month
    assert {r["month"] for r in result.rows} == {CURRENT}
    assert canon(result.rows) == canon(oracle.plan_fact(actor, "manager", CURRENT, CURRENT, NOW))
    assert any(r["forecast_amount"] > r["fact_amount"] for r in result.rows)
    probabilities = {p["stage_id"]: p for p in result.as_dict()["params"]["win_probability"]}
    for stage_id, (won, closed) in oracle.win_probabilities(actor).items():
        assert (probabilities[stage_id]["reached_won"], probabilities[stage_id]["reached_closed"]) == (won, closed)
    assert result.as_dict()["params"]["forecast_month"] == "2026-10-01"
    past = run_report(actor=actor, name="plan-fact", params={"from": "2026-05-01", "to": "2026-05-31"}, now=NOW)
    assert all(r["forecast_amount"] is None for r in past.rows) and "win_probability" not in past.as_dict()["params"]


def test_plan_fact_reads_through_the_scope(planned):
    world = planned.world
    for actor in (world.owner, world.lead, lead_of_other_team(world), world.head, world.teammate):
        for by in ("manager", "team"):
            got = ours(actor, by=by, **{"from": "2026-03-01", "to": "2026-10-31"})
            expected = oracle.plan_fact(actor, by, dt.date(2026, 3, 1), dt.date(2026, 10, 1), NOW)
            assert canon(got) == canon(expected), (actor, by)
    mine = ours(world.owner, **{"from": "2026-03-01", "to": "2026-10-31"})
    assert {r["manager_id"] for r in mine} == {world.owner.pk}


@pytest.mark.parametrize("params, field", [({"by": "manager,team"}, "by"), ({"by": ""}, "by"),
                                           ({"manager": "1"}, "manager"), ({"from": "2026-13-01"}, "from"),
                                           ({"by": "product"}, "by")])
def test_bad_parameters_are_field_errors(planned, params, field):
    with pytest.raises(DomainError) as exc:
        ours(full_scope_actor(), **params)
    assert exc.value.field == field
