"""Deal reads: scope per role (own, team, all), hidden == missing, constant query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.dbstate import stage_of
from tests.factories import make_deal
from voronka.core.errors import NotFound
from voronka.deals.selectors import DealFilter, board, get_deal, list_deals_page, visible_deals
from voronka.deals.services import lose_deal


@pytest.fixture
def deals(world):
    """One deal for the owner, the teammate (same team) and the outsider (other team)."""
    return {
        "owner": make_deal(world.owner, world.pipeline),
        "teammate": make_deal(world.teammate, world.pipeline),
        "outsider": make_deal(world.outsider, world.pipeline),
    }


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_visible_deals_of_a_manager_are_their_own(world, deals):
    assert _ids(visible_deals(actor=world.owner)) == {deals["owner"].pk}
    assert _ids(visible_deals(actor=world.outsider)) == {deals["outsider"].pk}


def test_visible_deals_of_a_lead_are_their_teams(world, deals):
    assert _ids(visible_deals(actor=world.lead)) == {deals["owner"].pk, deals["teammate"].pk}


def test_visible_deals_of_the_head_and_the_analyst_are_all(world, deals):
    every = {d.pk for d in deals.values()}
    assert _ids(visible_deals(actor=world.head)) == every
    assert _ids(visible_deals(actor=world.analyst)) == every


def test_get_deal_returns_a_visible_deal(world, deals):
    assert get_deal(actor=world.owner, deal_id=deals["owner"].pk).pk == deals["owner"].pk
    assert get_deal(actor=world.lead, deal_id=deals["teammate"].pk).pk == deals["teammate"].pk


@pytest.mark.parametrize("deal_id", ["teammate", "outsider", 987654, "abc", None])
def test_get_deal_of_a_hidden_or_missing_deal_raises_not_found(world, deals, deal_id):
    key = deals[deal_id].pk if deal_id in deals else deal_id
    with pytest.raises(NotFound):
        get_deal(actor=world.owner, deal_id=key)


def _list(*, actor, filters=None):
    """The rows of the deal list's first page (what the list view renders)."""
    return list_deals_page(actor=actor, filters=filters)[1]


def test_list_deals_is_scoped_and_filtered(world, deals):
    assert {d.pk for d in _list(actor=world.owner)} == {deals["owner"].pk}
    lose_deal(actor=world.owner, deal=deals["owner"], reason=world.reason)
    assert [d.pk for d in _list(actor=world.lead, filters=DealFilter(status="lost"))] == [deals["owner"].pk]


def test_board_counts_and_sums_the_open_deals_per_stage_in_scope(world, deals):
    proposal = stage_of(world.pipeline, "proposal")
    make_deal(world.owner, world.pipeline, stage=proposal, values={"amount": "100"})
    make_deal(world.owner, world.pipeline, stage=proposal, values={"amount": "50.5"})
    make_deal(world.outsider, world.pipeline, stage=proposal, values={"amount": "1000"})

    columns = {c.stage.slug: c for c in board(actor=world.owner, pipeline=world.pipeline)}

    assert list(columns) == ["received", "qualified", "proposal", "signed"]
    assert (columns["received"].count, [d.pk for d in columns["received"].cards]) == (1, [deals["owner"].pk])
    assert (columns["proposal"].count, columns["proposal"].totals) == (2, [("RUB", Decimal("150.50"))])
    assert columns["signed"].count == 0


def _evaluate_cards(cards) -> list[tuple]:
    """Touch everything a card renders, so a missing select_related shows up as extra queries."""
    return [(d.client.name, d.owner.username, d.stage.name, d.next_task_date, d.has_overdue) for d in cards]


def _board_queries(actor, pipeline) -> int:
    actor = type(actor).objects.get(pk=actor.pk)  # as each request loads him (his access is read once)
    with CaptureQueriesContext(connection) as ctx:
        for column in board(actor=actor, pipeline=pipeline):
            _evaluate_cards(column.cards)
    return len(ctx.captured_queries)


def _list_queries(actor) -> int:
    actor = type(actor).objects.get(pk=actor.pk)  # as each request loads him (his access is read once)
    with CaptureQueriesContext(connection) as ctx:
        deals = list(_list(actor=actor))
        _evaluate_cards(deals)
        assert all(deal.pipeline.name for deal in deals)
    return len(ctx.captured_queries)


def _make(world, n: int) -> None:
    proposal = stage_of(world.pipeline, "proposal")
    for i in range(n):
        if i % 2:
            make_deal(world.owner, world.pipeline, stage=proposal, values={"amount": str(100 + i)})
        else:
            make_deal(world.teammate, world.pipeline)


@pytest.mark.parametrize("who", ["owner", "lead", "head"])
def test_board_runs_the_same_number_of_queries_for_3_and_10_deals(world, who):
    actor = getattr(world, who)
    _make(world, 3)
    small = _board_queries(actor, world.pipeline)
    _make(world, 7)
    assert sum(c.count for c in board(actor=world.head, pipeline=world.pipeline)) == 10
    assert _board_queries(actor, world.pipeline) == small


@pytest.mark.parametrize("who", ["owner", "lead", "head"])
def test_list_deals_runs_the_same_number_of_queries_for_3_and_10_deals(world, who):
    actor = getattr(world, who)
    _make(world, 3)
    small = _list_queries(actor)
    _make(world, 7)
    assert len(_list(actor=world.head)) == 10
    assert _list_queries(actor) == small
