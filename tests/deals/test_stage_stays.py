"""The per-(deal, stage) summary (``DealStageStay``) equals an independent recomputation from the stage log.

Random move sequences (forward, skip, backward, win, lose, reopen, pipeline change) through the real
services; the summary is read back and compared with the log summed here in plain Python; the rebuild
used by the data migration and the bulk writers gives the same rows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analytics.history import BASE, at
from tests.factories import make_deal, task_spec
from voronka.deals import stays
from voronka.deals.models import Deal, DealStageStay, StageTransition
from voronka.deals.services import change_deal_pipeline, lose_deal, move_deal, reopen_deal, win_deal

pytestmark = pytest.mark.django_db

action = st.one_of(st.tuples(st.just("move"), st.integers(0, 3)), st.tuples(st.just("win")),
                   st.tuples(st.just("lose")), st.tuples(st.just("reopen"), st.integers(0, 3)),
                   st.tuples(st.just("pipeline"), st.integers(0, 2)))
deal_story = st.tuples(st.integers(0, 3), st.lists(action, max_size=6),
                       st.lists(st.integers(60, 20 * 86400), min_size=6, max_size=6))


class Rollback(Exception):
    pass


def summary_rows() -> dict[tuple[int, int], tuple]:
    return {(r.deal_id, r.stage_id): (r.seconds, r.entries, r.first_entered_at, r.last_left_at)
            for r in DealStageStay.objects.all()}


def expected_rows() -> dict[tuple[int, int], tuple]:
    """The log summed per (deal, stage) by hand: seconds of the stays that ended, arrivals, first arrival,
    last departure."""
    out: dict[tuple[int, int], list] = {}
    for t in StageTransition.objects.order_by("deal_id", "at", "id"):
        if t.from_stage_id is not None:
            row = out.setdefault((t.deal_id, t.from_stage_id), [0, 0, None, None])
            row[0] += t.seconds_in_from_stage
            row[3] = t.at
        if t.to_stage_id is not None:
            row = out.setdefault((t.deal_id, t.to_stage_id), [0, 0, None, None])
            row[1] += 1
            if row[2] is None:
                row[2] = t.at
    return {k: tuple(v) for k, v in out.items()}


def _play(world, stories):
    pipelines = [world.pipeline, world.other_pipeline]
    moment = BASE
    for start, actions, gaps in stories:
        moment += dt.timedelta(hours=1)
        with at(moment):
            deal = make_deal(world.owner, world.pipeline, stage=list(world.pipeline.stages.order_by("position"))[start],
                             values={"amount": 1000, "expected_close_date": "2099-12-31"})
        for step, gap in zip(actions, gaps, strict=False):
            moment += dt.timedelta(seconds=gap)
            deal = Deal.objects.get(pk=deal.pk)
            stages = list(deal.pipeline.stages.order_by("position", "id"))
            target = stages[min(step[1], len(stages) - 1)] if len(step) > 1 else None
            with at(moment):
                if step[0] == "move" and deal.is_open and target.pk != deal.stage_id:
                    move_deal(actor=world.owner, deal=deal, stage=target)
                elif step[0] == "win" and deal.is_open:
                    win_deal(actor=world.owner, deal=deal)
                elif step[0] == "lose" and deal.is_open:
                    lose_deal(actor=world.owner, deal=deal, reason=world.reason)
                elif step[0] == "reopen" and not deal.is_open:
                    reopen_deal(actor=world.owner, deal=deal, task=task_spec(), stage=target)
                elif step[0] == "pipeline" and deal.is_open:
                    other = pipelines[1] if deal.pipeline_id == pipelines[0].pk else pipelines[0]
                    change_deal_pipeline(actor=world.owner, deal=deal, pipeline=other,
                                         stage=list(other.stages.order_by("position", "id"))[step[1] % 2])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stories=st.lists(deal_story, min_size=1, max_size=4))
def test_summary_equals_the_log_after_random_moves(world, stories):
    try:
        with transaction.atomic():
            _play(world, stories)
            expected = expected_rows()
            assert summary_rows() == expected
            stays.rebuild()  # the data migration's and bulk writers' path gives the same rows
            assert summary_rows() == expected
            some = sorted({deal for deal, _stage in expected})[:2]
            DealStageStay.objects.filter(deal_id__in=some).delete()
            stays.rebuild(some)
            assert summary_rows() == expected
            logged = [{"deal_id": t.deal_id, "from_stage_id": t.from_stage_id, "to_stage_id": t.to_stage_id,
                       "at": t.at, "seconds_in_from_stage": t.seconds_in_from_stage}
                      for t in StageTransition.objects.order_by("deal_id", "at", "id")]
            assert {(r["deal_id"], r["stage_id"]): (r["seconds"], r["entries"], r["first_entered_at"],
                                                    r["last_left_at"]) for r in stays.summarise(logged)} == expected
            raise Rollback
    except Rollback:
        pass


def test_a_move_writes_the_summary_in_its_transaction(world):
    stages = list(world.pipeline.stages.order_by("position", "id"))
    with at(BASE):
        deal = make_deal(world.owner, world.pipeline, values={"amount": 1000})
    assert summary_rows() == {(deal.pk, stages[0].pk): (0, 1, BASE, None)}
    later = BASE + dt.timedelta(hours=5)
    with at(later):
        move_deal(actor=world.owner, deal=deal, stage=stages[2])
    assert summary_rows() == {(deal.pk, stages[0].pk): (5 * 3600, 1, BASE, later),
                              (deal.pk, stages[2].pk): (0, 1, later, None)}
    # a refused move (required fields, a stale version, ...) rolls the summary back with the log
    deal.refresh_from_db()
    before = summary_rows()
    with at(later + dt.timedelta(hours=1)), pytest.raises(RuntimeError, match="rolled back"), transaction.atomic():
        move_deal(actor=world.owner, deal=deal, stage=stages[0])
        raise RuntimeError("rolled back")
    assert summary_rows() == before
