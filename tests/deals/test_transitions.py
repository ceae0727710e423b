"""Invariant 4: one StageTransition per stage change, an append-only log, optimistic locking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.dbstate import open_tasks, stage_of, transitions_of, unchanged
from tests.factories import make_deal, task_spec
from voronka.activities.services import cancel_task, complete_task, create_task
from voronka.core.errors import Conflict
from voronka.deals.models import Deal, StageTransition
from voronka.deals.services import (
    StaleDeal,
    lose_deal,
    move_deal,
    reassign_deal,
    reopen_deal,
    update_deal,
    win_deal,
)


def _count(deal) -> int:
    return StageTransition.objects.filter(deal=deal).count()


def _last(deal) -> StageTransition:
    return StageTransition.objects.filter(deal=deal).order_by("-at", "-id").first()


def test_every_stage_change_writes_exactly_one_transition_of_the_right_kind(world):
    p = world.pipeline
    received, qualified, proposal, signed = (stage_of(p, s) for s in ("received", "qualified", "proposal", "signed"))
    deal = make_deal(world.owner, p)
    assert transitions_of(deal) == [("created", None, received.pk)]

    steps = [
        (lambda d: move_deal(actor=world.owner, deal=d, stage=qualified), ("forward", received.pk, qualified.pk)),
        (lambda d: move_deal(actor=world.owner, deal=d, stage=signed,
                             values={"amount": "10", "expected_close_date": "2030-01-01"}),
         ("skip", qualified.pk, signed.pk)),
        (lambda d: move_deal(actor=world.owner, deal=d, stage=proposal), ("backward", signed.pk, proposal.pk)),
        (lambda d: move_deal(actor=world.owner, deal=d, stage=received), ("backward", proposal.pk, received.pk)),
        (lambda d: lose_deal(actor=world.owner, deal=d, reason=world.reason), ("lost", received.pk, None)),
        (lambda d: reopen_deal(actor=world.owner, deal=d, task=task_spec()), ("reopen", None, received.pk)),
        (lambda d: win_deal(actor=world.owner, deal=d, amount="10"), ("won", received.pk, None)),
        (lambda d: reopen_deal(actor=world.owner, deal=d, task=task_spec(), stage=proposal),
         ("reopen", None, proposal.pk)),
    ]
    for number, (step, expected) in enumerate(steps, start=1):
        before = _count(deal)
        deal = step(deal)
        assert _count(deal) == before + 1, f"step {number}"
        assert transitions_of(deal)[-1] == expected, f"step {number}"
        assert Deal.objects.get(pk=deal.pk).version == number + 1
    assert {t.by_user_id for t in StageTransition.objects.filter(deal=deal)} == {world.owner.pk}


def test_moving_forward_by_one_stage_is_forward_and_by_two_is_skip(world):
    p = world.pipeline
    one = make_deal(world.owner, p)
    two = make_deal(world.owner, p, values={"amount": "1"})
    move_deal(actor=world.owner, deal=one, stage=stage_of(p, "qualified"))
    move_deal(actor=world.owner, deal=two, stage=stage_of(p, "proposal"))
    assert transitions_of(one)[-1][0] == "forward"
    assert transitions_of(two)[-1][0] == "skip"


def test_a_transition_records_the_seconds_spent_in_the_previous_stage(world):
    deal = make_deal(world.owner, world.pipeline)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - dt.timedelta(hours=2))
    move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "qualified"))
    seconds = _last(deal).seconds_in_from_stage
    assert 7200 <= seconds < 7260
    stored = Deal.objects.get(pk=deal.pk)
    assert timezone.now() - stored.stage_entered_at < dt.timedelta(minutes=1)


def test_closing_records_the_seconds_spent_on_the_last_stage(world):
    deal = make_deal(world.owner, world.pipeline)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - dt.timedelta(days=1))
    lose_deal(actor=world.owner, deal=deal, reason=world.reason)
    assert 86400 <= _last(deal).seconds_in_from_stage < 86460


def test_writes_that_do_not_change_the_stage_write_no_transition(world):
    deal = make_deal(world.owner, world.pipeline)
    second = create_task(actor=world.owner, deal=deal, **task_spec(days=2))
    first = open_tasks(deal)[0]
    deal = update_deal(actor=world.owner, deal=deal, values={"amount": "5"})
    complete_task(actor=world.owner, task=first, outcome="result", comment="Поговорили")
    cancel_task(actor=world.owner, task=create_task(actor=world.owner, deal=deal, **task_spec(days=4)))
    complete_task(actor=world.owner, task=second, outcome="postpone", comment="Перезвонить",
                  postpone_to=timezone.localdate() + dt.timedelta(days=3))
    reassign_deal(actor=world.lead, deal=deal, owner=world.teammate)
    assert transitions_of(deal) == [("created", None, deal.stage_id)]
    assert Deal.objects.get(pk=deal.pk).version == 3


def test_a_refused_move_writes_no_transition(world):
    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(Conflict):
        move_deal(actor=world.owner, deal=deal, stage=stage_of(world.other_pipeline, "base"))
    assert _count(deal) == 1


def test_a_stage_transition_cannot_be_saved_again(world):
    deal = make_deal(world.owner, world.pipeline)
    row = StageTransition.objects.get(deal=deal)
    row.kind = "won"
    with pytest.raises(TypeError):
        row.save()
    assert StageTransition.objects.get(pk=row.pk).kind == "created"


def test_a_stage_transition_cannot_be_deleted(world):
    deal = make_deal(world.owner, world.pipeline)
    row = StageTransition.objects.get(deal=deal)
    with pytest.raises(TypeError):
        row.delete()
    assert StageTransition.objects.filter(pk=row.pk).exists()


def test_the_transition_log_refuses_bulk_update_and_bulk_delete(world):
    make_deal(world.owner, world.pipeline)
    with pytest.raises(TypeError):
        StageTransition.objects.filter(kind="created").update(kind="won")
    with pytest.raises(TypeError):
        StageTransition.objects.all().delete()
    assert list(StageTransition.objects.values_list("kind", flat=True)) == ["created"]


def test_moving_a_stale_copy_raises_stale_deal_and_keeps_the_first_move(world):
    deal = make_deal(world.owner, world.pipeline)
    first_copy = Deal.objects.get(pk=deal.pk)
    second_copy = Deal.objects.get(pk=deal.pk)
    qualified = stage_of(world.pipeline, "qualified")
    move_deal(actor=world.owner, deal=first_copy, stage=qualified)

    with unchanged(), pytest.raises(StaleDeal) as exc:
        move_deal(actor=world.owner, deal=second_copy, stage=stage_of(world.pipeline, "proposal"),
                  values={"amount": "100"})

    assert isinstance(exc.value, Conflict)
    assert (exc.value.status, exc.value.code, exc.value.field) == (409, "stale", "version")
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage_id, stored.version, stored.amount) == (qualified.pk, 2, 0)
    assert _count(deal) == 2


def test_a_stale_copy_cannot_win_lose_or_reopen(world):
    deal = make_deal(world.owner, world.pipeline)
    stale = Deal.objects.get(pk=deal.pk)
    update_deal(actor=world.owner, deal=deal, values={"amount": "1"})
    with unchanged():
        with pytest.raises(StaleDeal):
            win_deal(actor=world.owner, deal=stale, amount="10")
        with pytest.raises(StaleDeal):
            lose_deal(actor=world.owner, deal=stale, reason=world.reason)


def test_move_deal_with_a_mismatching_expected_version_is_refused(world):
    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(StaleDeal):
        move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "qualified"), expected_version=7)


def test_move_deal_with_the_current_expected_version_succeeds(world):
    deal = make_deal(world.owner, world.pipeline)
    moved = move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "qualified"),
                      expected_version=1)
    assert moved.version == 2
