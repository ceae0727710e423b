"""win_deal, lose_deal, reopen_deal: outcomes need their data (invariants 1-3) and close the tasks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.dbstate import open_tasks, stage_of, transitions_of, unchanged
from tests.factories import make_deal, task_spec
from voronka.activities.models import Task
from voronka.activities.services import create_task
from voronka.clients.models import Client
from voronka.core.errors import DomainError, MissingFields
from voronka.deals.models import Deal
from voronka.deals.services import InvalidTransition, StaleDeal, lose_deal, reopen_deal, win_deal
from voronka.pipelines.services import update_stage


@pytest.fixture
def deal(world):
    # A win from the first stage counts every later stage as passed: the last one asks for a close date.
    deal = make_deal(world.owner, world.pipeline, values={"expected_close_date": "2030-01-31"})
    create_task(actor=world.owner, deal=deal, **task_spec(days=2, title="Отправить КП"))
    return deal


def test_win_deal_closes_it_cancels_open_tasks_and_makes_the_client_current(world, deal):
    won = win_deal(actor=world.owner, deal=deal, amount="90000")
    stored = Deal.objects.select_related("client").get(pk=deal.pk)
    assert (stored.status, stored.amount, stored.version) == ("won", Decimal("90000.00"), 2)
    assert stored.closed_at is not None and won.closed_at == stored.closed_at
    assert open_tasks(deal) == []
    assert set(Task.objects.filter(deal=deal).values_list("status", flat=True)) == {"cancelled"}
    assert stored.client.status == "client"
    assert transitions_of(deal)[-1] == ("won", deal.stage_id, None)


def test_win_deal_with_zero_amount_is_refused_and_writes_nothing(world, deal):
    with unchanged(), pytest.raises(MissingFields) as exc:
        win_deal(actor=world.owner, deal=deal)
    assert (exc.value.field, exc.value.fields) == ("amount", ["amount"])


def test_win_deal_with_explicit_zero_amount_is_refused(world, deal):
    with unchanged(), pytest.raises(MissingFields) as exc:
        win_deal(actor=world.owner, deal=deal, amount=0)
    assert exc.value.fields == ["amount"]


def test_win_deal_rejects_a_negative_amount(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        win_deal(actor=world.owner, deal=deal, amount="-100")
    assert exc.value.field == "amount"


def test_win_deal_keeps_an_amount_already_on_the_deal(world):
    deal = make_deal(world.owner, world.pipeline, values={"amount": "5000", "expected_close_date": "2030-01-31"})
    win_deal(actor=world.owner, deal=deal)
    assert Deal.objects.get(pk=deal.pk).status == "won"


def test_win_deal_from_a_stage_with_empty_required_fields_is_refused(world):
    deal = make_deal(world.owner, world.pipeline)
    update_stage(actor=world.admin, stage=deal.stage, required_fields=["expected_close_date"])
    with unchanged(), pytest.raises(MissingFields) as exc:
        win_deal(actor=world.owner, deal=deal, amount="1000")
    assert exc.value.fields == ["expected_close_date"]


def test_win_deal_rejects_a_closed_deal(world, deal):
    won = win_deal(actor=world.owner, deal=deal, amount="1000")
    with unchanged(), pytest.raises(InvalidTransition):
        win_deal(actor=world.owner, deal=won, amount="2000")


def test_win_deal_with_a_stale_expected_version_is_refused(world, deal):
    with unchanged(), pytest.raises(StaleDeal):
        win_deal(actor=world.owner, deal=deal, amount="1000", expected_version=deal.version + 1)


def test_lose_deal_without_reason_is_refused_and_writes_nothing(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        lose_deal(actor=world.owner, deal=deal, reason=None)
    assert exc.value.field == "lost_reason"


def test_lose_deal_with_an_unknown_reason_id_is_refused(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        lose_deal(actor=world.owner, deal=deal, reason=987654)
    assert exc.value.field == "lost_reason"


def test_lose_deal_records_the_reason_and_cancels_open_tasks(world, deal):
    lose_deal(actor=world.owner, deal=deal, reason=world.reason, comment="Бюджет урезали")
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.status, stored.lost_reason_id, stored.lost_comment) == ("lost", world.reason.pk,
                                                                          "Бюджет урезали")
    assert stored.closed_at is not None
    assert open_tasks(deal) == []
    assert transitions_of(deal)[-1] == ("lost", deal.stage_id, None)


def test_lose_deal_accepts_a_reason_id(world, deal):
    lose_deal(actor=world.owner, deal=deal, reason=world.reason.pk)
    assert Deal.objects.get(pk=deal.pk).lost_reason_id == world.reason.pk


def test_lose_deal_from_a_stage_with_empty_required_fields_is_refused(world, deal):
    update_stage(actor=world.admin, stage=deal.stage, required_fields=["amount"])
    with unchanged(), pytest.raises(MissingFields) as exc:
        lose_deal(actor=world.owner, deal=deal, reason=world.reason)
    assert exc.value.fields == ["amount"]


def test_lose_deal_leaves_a_current_client_a_client(world, deal):
    won = make_deal(world.owner, world.pipeline, client=deal.client, values={"expected_close_date": "2030-01-31"})
    win_deal(actor=world.owner, deal=won, amount=1000)
    lose_deal(actor=world.owner, deal=deal, reason=world.reason)
    assert Client.objects.get(pk=deal.client_id).status == "client"


@pytest.fixture
def lost(world, deal):
    return lose_deal(actor=world.owner, deal=deal, reason=world.reason, comment="Дорого")


@pytest.mark.parametrize("task", [None, {}])
def test_reopen_deal_requires_a_task(world, lost, task):
    with unchanged(), pytest.raises(MissingFields) as exc:
        reopen_deal(actor=world.owner, deal=lost, task=task)
    assert exc.value.fields == ["task_title", "task_due_date"]


def test_reopen_deal_rejects_a_task_without_title(world, lost):
    with unchanged(), pytest.raises(DomainError) as exc:
        reopen_deal(actor=world.owner, deal=lost, task=task_spec(title=""))
    assert exc.value.field == "task_title"


def test_reopen_deal_brings_it_back_with_one_open_task(world, lost):
    reopen_deal(actor=world.owner, deal=lost, task=task_spec(title="Вернуться к разговору"))
    stored = Deal.objects.get(pk=lost.pk)
    assert (stored.status, stored.closed_at, stored.lost_reason_id, stored.lost_comment) == ("open", None, None, "")
    assert [t.title for t in open_tasks(stored)] == ["Вернуться к разговору"]
    assert transitions_of(stored)[-1] == ("reopen", None, stored.stage_id)


def test_reopen_deal_onto_another_stage_checks_its_required_fields(world, lost):
    proposal = stage_of(world.pipeline, "proposal")
    with unchanged(), pytest.raises(MissingFields) as exc:
        reopen_deal(actor=world.owner, deal=lost, task=task_spec(), stage=proposal)
    assert exc.value.fields == ["amount"]


def test_reopen_deal_rejects_a_stage_of_another_pipeline(world, lost):
    with unchanged(), pytest.raises(InvalidTransition):
        reopen_deal(actor=world.owner, deal=lost, task=task_spec(), stage=stage_of(world.other_pipeline, "base"))


def test_reopen_deal_rejects_an_open_deal(world, deal):
    with unchanged(), pytest.raises(InvalidTransition):
        reopen_deal(actor=world.owner, deal=deal, task=task_spec())


def test_reopen_deal_of_a_won_deal_reopens_it(world, deal):
    won = win_deal(actor=world.owner, deal=deal, amount="100")
    reopen_deal(actor=world.owner, deal=won, task=task_spec())
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.status, stored.closed_at) == ("open", None)
    assert len(open_tasks(stored)) == 1


def test_losing_the_last_open_deal_of_a_lead_puts_the_client_on_the_refusal_list(world):
    deal = make_deal(world.owner, world.pipeline)
    lose_deal(actor=world.owner, deal=deal, reason=world.reason, comment="Бюджет на следующий год")
    deal.client.refresh_from_db()
    assert deal.client.status == "refused"
    assert deal.client.refusal_reason == world.reason


def test_a_lead_with_another_open_deal_or_a_current_client_is_not_refused(world):
    first = make_deal(world.owner, world.pipeline)
    make_deal(world.owner, world.pipeline, client=first.client)
    lose_deal(actor=world.owner, deal=first, reason=world.reason)
    first.client.refresh_from_db()
    assert first.client.status == "lead"
