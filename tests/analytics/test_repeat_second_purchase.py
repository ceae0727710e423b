"""Time to the second purchase in ``repeat``: known histories, ties, scope and the query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.analytics.history import BASE, at
from tests.factories import make_client, make_deal
from voronka.analytics.engine import full_scope_actor, run_report
from voronka.deals.services import win_deal

pytestmark = pytest.mark.django_db
VALUES = {"amount": 1000, "expected_close_date": "2099-12-31"}


def won_at(owner, pipeline, client, *days: float):
    for day in days:
        moment = BASE + dt.timedelta(days=day)
        with at(moment):
            deal = make_deal(owner, pipeline, client=client, values=VALUES)
            win_deal(actor=owner, deal=deal)


def test_days_from_the_first_to_the_second_won_deal(world):
    a, b, c, d = (make_client(world.owner) for _ in range(4))
    won_at(world.owner, world.pipeline, a, 30, 0, 10)  # created out of order: first 0, second 10
    won_at(world.owner, world.pipeline, b, 5, 9)  # 4 days
    won_at(world.owner, world.pipeline, c, 3)  # one purchase: no second
    won_at(world.owner, world.pipeline, d, 7, 7)  # two at the same second: 0 days
    (row,) = run_report(actor=full_scope_actor(), name="repeat", params={}).rows
    assert (row["buyers"], row["repeat_buyers"]) == (4, 3)
    assert row["mean_days_to_second"] == round(14 / 3, 4) and row["median_days_to_second"] == 4.0
    # The period keeps only the deals won in it: a's first purchase falls out, its second pair is 10 → 30.
    (row,) = run_report(actor=full_scope_actor(), name="repeat",
                        params={"from": (BASE + dt.timedelta(days=8)).date().isoformat()}).rows
    assert (row["repeat_buyers"], row["mean_days_to_second"]) == (1, 20.0)


def test_scope_and_constant_queries(world):
    counts = []
    for n in (2, 6):
        for _ in range(n):
            client = make_client(world.outsider)
            won_at(world.outsider, world.pipeline, client, 1, 2.5)
        head = type(world.head).objects.get(pk=world.head.pk)  # a fresh user, as in each request
        with CaptureQueriesContext(connection) as ctx:
            rows = run_report(actor=head, name="repeat", params={"by": "region"}).rows
        counts.append(len(ctx.captured_queries))
        assert rows[0]["median_days_to_second"] == 1.5
    assert counts[0] == counts[1]
    assert run_report(actor=world.owner, name="repeat", params={}).rows == []  # not his clients' deals
