"""Hypothesis: random deal histories (through the services) keep the funnel's invariants."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analytics.history import BASE, at
from tests.factories import make_deal, task_spec
from voronka.analytics.engine import full_scope_actor, run_report
from voronka.deals.services import lose_deal, move_deal, reopen_deal, win_deal

pytestmark = pytest.mark.django_db

action = st.one_of(st.tuples(st.just("move"), st.integers(0, 3)), st.tuples(st.just("win")),
                   st.tuples(st.just("lose")), st.tuples(st.just("reopen"), st.integers(0, 3)))
deal_story = st.tuples(st.integers(0, 3), st.lists(action, max_size=5))


class Rollback(Exception):
    pass


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stories=st.lists(deal_story, min_size=1, max_size=4))
def test_random_histories_keep_the_funnel_invariants(world, stories):
    try:
        with transaction.atomic():
            _play(world, stories)
            _check(world, len(stories))
            raise Rollback
    except Rollback:
        pass


def _play(world, stories):
    stages = list(world.pipeline.stages.order_by("position", "id"))
    moment = BASE
    for start, actions in stories:
        moment += dt.timedelta(hours=1)
        with at(moment):
            deal = make_deal(world.owner, world.pipeline, stage=stages[start],
                             values={"amount": 1000, "expected_close_date": "2099-12-31"})
        for step in actions:
            moment += dt.timedelta(hours=3)
            deal.refresh_from_db()
            with at(moment):
                if step[0] == "move" and deal.is_open and stages[step[1]].pk != deal.stage_id:
                    move_deal(actor=world.owner, deal=deal, stage=stages[step[1]])
                elif step[0] == "win" and deal.is_open:
                    win_deal(actor=world.owner, deal=deal)
                elif step[0] == "lose" and deal.is_open:
                    lose_deal(actor=world.owner, deal=deal, reason=world.reason)
                elif step[0] == "reopen" and not deal.is_open:
                    reopen_deal(actor=world.owner, deal=deal, task=task_spec(), stage=stages[step[1]])


def _check(world, cohort):
    rows = run_report(actor=full_scope_actor(), name="funnel", params={"pipeline": "inbound"}).rows
    reached = [r["reached"] for r in rows]
    assert reached[0] == cohort
    assert all(a >= b for a, b in pairwise(reached)), reached
    for r in rows:
        assert r["conversion_pct"] is None or 0 <= r["conversion_pct"] <= 100
        assert 0 <= r["converted"] <= r["reached"]
    assert sum(r["dropped"] + r["won"] + r["open"] for r in rows) == cohort
