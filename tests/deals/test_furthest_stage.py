"""Deal.furthest_stage: the furthest stage the log visited, in the pipeline's current order (DESIGN.md §5)."""

from __future__ import annotations

import pytest

from tests.dbstate import stage_of
from tests.factories import make_deal, task_spec
from voronka.deals.models import Deal, StageTransition
from voronka.deals.selectors import has_reached, reached_stage_q
from voronka.deals.services import lose_deal, move_deal, reopen_deal, win_deal
from voronka.pipelines.models import Stage
from voronka.pipelines.services import move_stage, reorder_stages

FILLED = {"amount": "1000", "expected_close_date": "2030-01-31"}


def _stages(pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position", "id"))


def _visited(deal: Deal) -> set[int]:
    return set(StageTransition.objects.filter(deal=deal, to_stage__isnull=False).values_list("to_stage_id", flat=True))


def _assert_every_visit_reached(pipeline) -> None:
    """Every deal's current stage and every stage its log entered count as reached, in SQL and in Python."""
    for deal in Deal.objects.filter(pipeline=pipeline).select_related("furthest_stage"):
        for stage in Stage.objects.filter(pk__in=_visited(deal) | {deal.stage_id}):
            assert has_reached(deal, stage), (deal.title, stage.slug)
            assert Deal.objects.filter(reached_stage_q(stage), pk=deal.pk).exists(), (deal.title, stage.slug)


@pytest.fixture
def deals(world):
    """Deals that moved forward, skipped, went back, were won, lost and reopened."""
    received, qualified, proposal, signed = _stages(world.pipeline)
    owner = world.owner
    created = make_deal(owner, world.pipeline, title="created")
    forward = move_deal(actor=owner, deal=make_deal(owner, world.pipeline, title="forward"), stage=qualified)
    back = make_deal(owner, world.pipeline, title="back", values=FILLED)
    back = move_deal(actor=owner, deal=back, stage=signed)
    back = move_deal(actor=owner, deal=back, stage=received)
    won = move_deal(actor=owner, deal=make_deal(owner, world.pipeline, title="won", values=FILLED), stage=proposal)
    won = win_deal(actor=owner, deal=won)
    lost = make_deal(owner, world.pipeline, title="lost", stage=qualified)
    lost = lose_deal(actor=owner, deal=lost, reason=world.reason)
    reopen_deal(actor=owner, deal=lost, task=task_spec(), stage=received)
    return {d.title: Deal.objects.get(pk=d.pk) for d in (created, forward, back, won, lost)}


def test_services_keep_the_furthest_visited_stage(world, deals):
    received, qualified, proposal, signed = _stages(world.pipeline)
    furthest = {title: deal.furthest_stage_id for title, deal in deals.items()}
    assert furthest == {"created": received.pk, "forward": qualified.pk, "back": signed.pk, "won": proposal.pk,
                        "lost": qualified.pk}


def test_reorder_keeps_every_visited_stage_reached(world, deals):
    received, qualified, proposal, signed = _stages(world.pipeline)
    # "back" visited signed and sits on received: with signed first, received becomes its furthest stage.
    reorder_stages(actor=world.admin, pipeline=world.pipeline,
                   stage_ids=[signed.pk, proposal.pk, qualified.pk, received.pk])
    _assert_every_visit_reached(world.pipeline)
    assert Deal.objects.get(pk=deals["back"].pk).furthest_stage_id == received.pk
    assert Deal.objects.get(pk=deals["created"].pk).furthest_stage_id == received.pk
    move_stage(actor=world.admin, stage=Stage.objects.get(pk=received.pk), direction="up")
    _assert_every_visit_reached(world.pipeline)


def test_a_move_after_a_reorder_compares_current_positions(world, deals):
    received, qualified, proposal, signed = _stages(world.pipeline)
    deal = deals["forward"]  # visited received and qualified; holds a stage object from before the reorder
    reorder_stages(actor=world.admin, pipeline=world.pipeline,
                   stage_ids=[qualified.pk, proposal.pk, received.pk, signed.pk])
    moved = move_deal(actor=world.owner, deal=deal, stage=proposal, values={"amount": "1000"})  # old position held
    assert Deal.objects.get(pk=moved.pk).furthest_stage_id == received.pk
    _assert_every_visit_reached(world.pipeline)


def test_reached_stage_q_counts_skipped_stages_and_not_later_ones(world, deals):
    received, qualified, proposal, signed = _stages(world.pipeline)
    reached = {s.slug: set(Deal.objects.filter(reached_stage_q(s)).values_list("title", flat=True))
               for s in (received, qualified, proposal, signed)}
    assert reached["received"] == set(deals)
    assert reached["proposal"] == {"back", "won"}  # "back" skipped proposal on its way to signed
    assert reached["signed"] == {"back"}


def test_reorder_recomputes_deals_in_a_fixed_number_of_queries(world, django_assert_num_queries,
                                                               django_assert_max_num_queries):
    stages = _stages(world.pipeline)
    make_deal(world.owner, world.pipeline)
    order = [s.pk for s in reversed(stages)]
    with django_assert_max_num_queries(8) as few:  # lock, bulk update, recompute, audit, outbox (+ savepoints)
        reorder_stages(actor=world.admin, pipeline=world.pipeline, stage_ids=order)
    for _ in range(10):
        make_deal(world.owner, world.pipeline, values=FILLED)
    with django_assert_num_queries(len(few.captured_queries)):
        reorder_stages(actor=world.admin, pipeline=world.pipeline, stage_ids=list(reversed(order)))


def test_every_transition_records_the_pipeline(world, deals):
    rows = StageTransition.objects.filter(deal__pipeline=world.pipeline)
    assert rows.count() > 10
    assert set(rows.values_list("pipeline_id", flat=True)) == {world.pipeline.pk}


def test_furthest_stage_ignores_visits_in_another_pipeline(world):
    deal = make_deal(world.owner, world.other_pipeline)
    assert deal.furthest_stage.pipeline_id == world.other_pipeline.pk
    assert stage_of(world.other_pipeline, "base").pk == deal.furthest_stage_id
