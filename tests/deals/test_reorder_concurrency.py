"""A move and a reorder of the same pipeline at the same moment leave every furthest stage right (PostgreSQL).

The move compares positions, the reorder recomputes the furthest stage from the log: without the pipeline
lock (`pipelines.services.hold_stage_order`) the reorder's UPDATE does not see a move committed while it
waits, and the move may use the positions from before the reorder.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from tests.dbstate import stage_of
from tests.factories import make_deal
from voronka.deals.models import Deal, StageTransition
from voronka.deals.services import move_deal
from voronka.pipelines.services import reorder_stages

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time"),
]


def _expected_furthest(deal: Deal) -> int:
    """Independently: the visited stage (log) latest in the pipeline's current order."""
    visited = set(StageTransition.objects.filter(deal=deal, to_stage__isnull=False)
                  .values_list("to_stage_id", flat=True)) | {deal.stage_id}
    stages = sorted(deal.pipeline.stages.filter(pk__in=visited), key=lambda s: (s.position, s.pk))
    return stages[-1].pk


def _in_thread(job, done: dict, key: str) -> threading.Thread:
    def run():
        try:
            done[key] = job()
        except Exception as exc:  # asserted on below
            done[key] = exc
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_reorder_waits_for_a_move_in_progress_and_sees_it(world):
    qualified, proposal = stage_of(world.pipeline, "qualified"), stage_of(world.pipeline, "proposal")
    deal = make_deal(world.owner, world.pipeline, values={"amount": "100"})
    moved_in_transaction, release = threading.Event(), threading.Event()

    def slow_move():
        with transaction.atomic():
            move_deal(actor=world.owner, deal=Deal.objects.get(pk=deal.pk), stage=proposal)
            moved_in_transaction.set()
            release.wait(timeout=10)  # the move's transaction stays open
        return "moved"

    # Put "proposal" before "qualified": the deal, moved to proposal, has proposal as its furthest stage.
    order = list(world.pipeline.stages.order_by("position").values_list("pk", flat=True))
    order.remove(proposal.pk)
    order.insert(order.index(qualified.pk), proposal.pk)
    done: dict = {}
    mover = _in_thread(slow_move, done, "move")
    assert moved_in_transaction.wait(timeout=10)
    reorderer = _in_thread(lambda: reorder_stages(actor=world.admin, pipeline=world.pipeline, stage_ids=order),
                           done, "reorder")
    time.sleep(0.5)
    assert "reorder" not in done, "the reorder must wait for the move in progress"
    release.set()
    mover.join(timeout=15)
    reorderer.join(timeout=15)
    assert done["move"] == "moved" and isinstance(done["reorder"], list), done
    stored = Deal.objects.select_related("pipeline").get(pk=deal.pk)
    assert stored.furthest_stage_id == _expected_furthest(stored) == proposal.pk


def test_a_move_after_a_reorder_uses_the_new_order(world):
    qualified, proposal = stage_of(world.pipeline, "qualified"), stage_of(world.pipeline, "proposal")
    deal = move_deal(actor=world.owner, deal=make_deal(world.owner, world.pipeline, values={"amount": "100"}),
                     stage=proposal)
    order = list(world.pipeline.stages.order_by("position").values_list("pk", flat=True))
    order.remove(qualified.pk)
    order.insert(order.index(proposal.pk) + 1, qualified.pk)  # qualified now comes after proposal
    reordered, release = threading.Event(), threading.Event()

    def slow_reorder():
        with transaction.atomic():
            reorder_stages(actor=world.admin, pipeline=world.pipeline, stage_ids=order)
            reordered.set()
            release.wait(timeout=10)
        return "reordered"

    done: dict = {}
    reorderer = _in_thread(slow_reorder, done, "reorder")
    assert reordered.wait(timeout=10)
    mover = _in_thread(lambda: move_deal(actor=world.owner, deal=Deal.objects.get(pk=deal.pk), stage=qualified),
                       done, "move")
    time.sleep(0.5)
    assert "move" not in done, "the move must wait for the reorder in progress"
    release.set()
    reorderer.join(timeout=15)
    mover.join(timeout=15)
    assert done["reorder"] == "reordered" and isinstance(done["move"], Deal), done
    stored = Deal.objects.select_related("pipeline").get(pk=deal.pk)
    assert stored.furthest_stage_id == _expected_furthest(stored) == qualified.pk
