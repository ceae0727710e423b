"""Invariant 4 under real concurrency: two connections move one deal at the same moment (PostgreSQL).

SQLite serialises every writer on the whole database, so there is no row-level race to provoke there;
the sequential version of these checks (stale copies) lives in test_transitions.py and runs everywhere.
"""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from tests.concurrency import race
from tests.dbstate import stage_of
from tests.factories import make_deal, task_spec
from voronka.activities.models import Task
from voronka.activities.services import cancel_task, complete_task, create_task
from voronka.core.errors import DomainError, MissingFields
from voronka.deals.models import Deal, StageTransition
from voronka.deals.services import StaleDeal, move_deal

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to race on"),
]

ROUNDS = 5


def test_two_concurrent_moves_from_the_same_version_let_exactly_one_win(world):
    qualified = stage_of(world.pipeline, "qualified")
    proposal = stage_of(world.pipeline, "proposal")
    for _round in range(ROUNDS):
        deal = make_deal(world.owner, world.pipeline)
        copies = [Deal.objects.get(pk=deal.pk), Deal.objects.get(pk=deal.pk)]
        targets = [qualified, proposal]

        results = race(
            partial(move_deal, actor=world.owner, deal=copies[0], stage=targets[0]),
            partial(move_deal, actor=world.owner, deal=copies[1], stage=targets[1], values={"amount": "100"}),
        )

        assert all(isinstance(r, Deal | StaleDeal) for r in results), results
        winners = [i for i, r in enumerate(results) if isinstance(r, Deal)]
        assert len(winners) == 1, results
        stored = Deal.objects.get(pk=deal.pk)
        assert stored.stage_id == targets[winners[0]].pk
        assert stored.version == 2
        kinds = list(StageTransition.objects.filter(deal=deal).values_list("kind", flat=True))
        assert sorted(kinds) == sorted(["created", "forward" if winners[0] == 0 else "skip"])


def test_concurrent_movers_that_retry_on_conflict_never_lose_an_update(world):
    qualified = stage_of(world.pipeline, "qualified")
    proposal = stage_of(world.pipeline, "proposal")
    deal = make_deal(world.owner, world.pipeline, values={"amount": "100"})
    moves_per_thread = 4

    def mover(first, second):
        def job():
            done = 0
            attempts = 0
            while done < moves_per_thread:
                attempts += 1
                assert attempts < 200, "no progress"
                current = Deal.objects.get(pk=deal.pk)
                target = first if current.stage_id != first.pk else second
                try:
                    move_deal(actor=world.owner, deal=current, stage=target)
                except StaleDeal:
                    continue
                except DomainError:  # the other thread moved it to our target meanwhile
                    continue
                done += 1
            return done
        return job

    results = race(mover(qualified, proposal), mover(proposal, qualified))

    assert results == [moves_per_thread, moves_per_thread], results
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.version == 1 + 2 * moves_per_thread
    assert StageTransition.objects.filter(deal=deal).count() == 1 + 2 * moves_per_thread


def test_concurrent_result_completions_of_the_last_two_tasks_keep_an_open_task(world):
    """complete_task locks the deal first: exactly one of two completions without a next task succeeds."""
    for _round in range(ROUNDS):
        deal = make_deal(world.owner, world.pipeline)
        create_task(actor=world.owner, deal=deal, **task_spec(days=2))
        first, second = Task.objects.filter(deal=deal, status="open").order_by("pk")

        results = race(
            partial(complete_task, actor=world.owner, task=first, outcome="result", comment="Созвонились"),
            partial(complete_task, actor=world.owner, task=second, outcome="result", comment="Отправили КП"),
        )

        assert sorted(type(r).__name__ for r in results) == ["MissingFields", "Task"], results
        assert any(isinstance(r, MissingFields) for r in results)
        assert Task.objects.filter(deal=deal, status="open").count() == 1
        assert Deal.objects.get(pk=deal.pk).is_open


def test_a_cancel_racing_a_result_completion_keeps_an_open_task(world):
    for _round in range(ROUNDS):
        deal = make_deal(world.owner, world.pipeline)
        create_task(actor=world.owner, deal=deal, **task_spec(days=2))
        first, second = Task.objects.filter(deal=deal, status="open").order_by("pk")

        results = race(
            partial(complete_task, actor=world.owner, task=first, outcome="result", comment="Созвонились"),
            partial(cancel_task, actor=world.owner, task=second, comment="Не нужна"),
        )

        assert sum(isinstance(r, Task) for r in results) == 1, results
        assert all(isinstance(r, Task | DomainError) for r in results), results
        assert Task.objects.filter(deal=deal, status="open").count() == 1
