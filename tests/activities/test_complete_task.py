"""complete_task: every task ends in an outcome (result, postpone, refusal) with a comment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.dbstate import open_tasks, transitions_of, unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.activities.models import Activity, Task
from voronka.activities.services import cancel_task, complete_task, create_task
from voronka.clients.models import Client
from voronka.core.errors import DomainError, Forbidden, MissingFields
from voronka.deals.models import Deal
from voronka.deals.services import win_deal

TODAY = timezone.localdate


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline)


@pytest.fixture
def task(deal):
    return open_tasks(deal)[0]


def test_result_on_the_last_open_task_without_next_task_is_refused_and_writes_nothing(world, task):
    with unchanged(), pytest.raises(MissingFields) as exc:
        complete_task(actor=world.owner, task=task, outcome="result", comment="Поговорили")
    assert exc.value.fields == ["next_title", "next_due_date"]


def test_result_with_an_empty_next_task_is_refused(world, task):
    with unchanged(), pytest.raises(MissingFields):
        complete_task(actor=world.owner, task=task, outcome="result", comment="Поговорили", next_task={})


def test_result_with_next_task_completes_the_task_and_creates_the_next_one(world, deal, task):
    done = complete_task(actor=world.owner, task=task, outcome="result", comment="Договорились о демо",
                         next_task=task_spec(days=3, title="Провести демо", kind="demo"))
    stored = Task.objects.get(pk=task.pk)
    assert (stored.status, stored.outcome, stored.outcome_comment, stored.completed_by_id) == (
        "done", "result", "Договорились о демо", world.owner.pk)
    assert stored.completed_at is not None
    [nxt] = open_tasks(deal)
    assert (nxt.title, nxt.kind, nxt.due_date, nxt.assignee_id) == (
        "Провести демо", "demo", TODAY() + dt.timedelta(days=3), world.owner.pk)
    assert stored.follow_up_id == nxt.pk == done.follow_up_id
    assert Activity.objects.filter(deal=deal, kind="task", data__outcome="result").count() == 1


def test_result_with_an_invalid_next_task_is_refused_and_writes_nothing(world, task):
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome="result", comment="Ок",
                      next_task={"title": "", "due_date": TODAY()})
    assert exc.value.field == "next_title"


def test_result_on_a_task_that_is_not_the_last_needs_no_next_task(world, deal, task):
    other = create_task(actor=world.owner, deal=deal, **task_spec(days=5))
    complete_task(actor=world.owner, task=task, outcome="result", comment="Отправили КП")
    assert [t.pk for t in open_tasks(deal)] == [other.pk]


def test_result_on_a_client_task_needs_no_next_task(world):
    client = make_client(world.owner)
    task = create_task(actor=world.owner, client=client, **task_spec())
    complete_task(actor=world.owner, task=task, outcome="result", comment="Уточнили реквизиты")
    assert Task.objects.get(pk=task.pk).status == "done"


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_an_empty_comment_is_refused_and_writes_nothing(world, task, comment):
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome="postpone", comment=comment,
                      postpone_to=TODAY() + dt.timedelta(days=1))
    assert exc.value.field == "comment"


@pytest.mark.parametrize("outcome", ["", "maybe", "done", None])
def test_an_unknown_outcome_is_refused_and_writes_nothing(world, task, outcome):
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome=outcome, comment="Что-то было",
                      next_task=task_spec())
    assert exc.value.field == "outcome"


def test_postpone_without_a_date_is_refused(world, task):
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome="postpone", comment="Просили перезвонить")
    assert exc.value.field == "postpone_to"


def test_postpone_into_the_past_is_refused(world, task):
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome="postpone", comment="Просили перезвонить",
                      postpone_to=TODAY() - dt.timedelta(days=1))
    assert exc.value.field == "postpone_to"


def test_postpone_with_a_malformed_date_is_refused(world, task):
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome="postpone", comment="Просили перезвонить",
                      postpone_to="завтра")
    assert exc.value.field == "postpone_to"


def test_postpone_creates_a_follow_up_with_the_new_date_same_assignee_and_kind(world, deal):
    task = create_task(actor=world.lead, deal=deal, title="Встреча в офисе", kind="meeting",
                       due_date=TODAY(), assignee=world.teammate)
    new_date = TODAY() + dt.timedelta(days=10)
    complete_task(actor=world.owner, task=task, outcome="postpone", comment="Клиент в отпуске",
                  postpone_to=new_date.isoformat())
    stored = Task.objects.get(pk=task.pk)
    follow_up = Task.objects.get(pk=stored.follow_up_id)
    assert (stored.status, stored.outcome) == ("done", "postpone")
    assert (follow_up.status, follow_up.due_date, follow_up.assignee_id, follow_up.kind, follow_up.deal_id) == (
        "open", new_date, world.teammate.pk, "meeting", deal.pk)


def test_postpone_to_today_is_allowed(world, deal, task):
    complete_task(actor=world.owner, task=task, outcome="postpone", comment="Перезвоню вечером",
                  postpone_to=TODAY())
    assert [t.due_date for t in open_tasks(deal)] == [TODAY()]


def test_refusal_without_a_reason_is_refused_and_writes_nothing(world, task):
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome="refusal", comment="Не интересно")
    assert exc.value.field == "lost_reason"


@pytest.mark.parametrize("reason", [987654, "abc"])
def test_refusal_with_an_unknown_reason_is_refused_and_writes_nothing(world, task, reason):
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome="refusal", comment="Не интересно", lost_reason=reason)
    assert exc.value.field == "lost_reason"


def test_refusal_accepts_a_reason_id(world, deal, task):
    complete_task(actor=world.owner, task=task, outcome="refusal", comment="Не интересно",
                  lost_reason=world.reason.pk)
    assert Deal.objects.get(pk=deal.pk).lost_reason_id == world.reason.pk


def test_refusal_on_a_deal_task_loses_the_deal(world, deal, task):
    other = create_task(actor=world.owner, deal=deal, **task_spec(days=2))
    complete_task(actor=world.owner, task=task, outcome="refusal", comment="Выбрали конкурента",
                  lost_reason=world.reason)
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.status, stored.lost_reason_id, stored.lost_comment) == ("lost", world.reason.pk,
                                                                          "Выбрали конкурента")
    assert stored.closed_at is not None
    assert transitions_of(deal)[-1] == ("lost", deal.stage_id, None)
    assert (Task.objects.get(pk=task.pk).lost_reason_id, Task.objects.get(pk=other.pk).status) == (
        world.reason.pk, "cancelled")
    # The lead's only deal is lost: the client goes to the refusal list (the Return pipeline starts there).
    assert Client.objects.get(pk=deal.client_id).status == "refused"


def test_refusal_on_a_deal_task_keeps_the_separate_lost_comment(world, deal, task):
    complete_task(actor=world.owner, task=task, outcome="refusal", comment="Звонок", lost_reason=world.reason,
                  lost_comment="Бюджет на следующий год")
    assert Deal.objects.get(pk=deal.pk).lost_comment == "Бюджет на следующий год"


def test_refusal_on_a_client_task_puts_the_client_on_the_refusal_list(world):
    client = make_client(world.owner)
    task = create_task(actor=world.owner, client=client, **task_spec())
    complete_task(actor=world.owner, task=task, outcome="refusal", comment="Не работают с нами",
                  lost_reason=world.reason)
    stored = Client.objects.get(pk=client.pk)
    assert (stored.status, stored.refusal_reason_id, stored.refusal_comment) == (
        "refused", world.reason.pk, "Не работают с нами")
    assert stored.refused_at is not None


def test_completing_a_done_task_is_refused(world, deal, task):
    complete_task(actor=world.owner, task=task, outcome="result", comment="Ок", next_task=task_spec())
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome="result", comment="Ещё раз", next_task=task_spec())
    assert exc.value.code == "task_closed"


def test_completing_a_cancelled_task_is_refused(world, deal, task):
    win_deal(actor=world.owner, deal=deal, amount="100", values={"expected_close_date": "2030-01-31"})
    with unchanged(), pytest.raises(DomainError) as exc:
        complete_task(actor=world.owner, task=task, outcome="result", comment="Поздно")
    assert exc.value.code == "task_closed"


def test_completing_a_task_of_another_manager_is_forbidden(world, task):
    for intruder in (world.teammate, world.outsider, world.analyst):
        with unchanged(), pytest.raises(Forbidden):
            complete_task(actor=intruder, task=task, outcome="result", comment="Чужая", next_task=task_spec())


def test_the_assignee_of_a_task_on_someone_elses_deal_may_complete_it(world, deal):
    task = create_task(actor=world.lead, deal=deal, assignee=world.teammate, **task_spec(days=2))
    complete_task(actor=world.teammate, task=task, outcome="result", comment="Сделал")
    assert Task.objects.get(pk=task.pk).completed_by_id == world.teammate.pk


def test_cancel_task_refuses_the_last_open_task_of_an_open_deal(world, task):
    with unchanged(), pytest.raises(DomainError) as exc:
        cancel_task(actor=world.owner, task=task)
    assert exc.value.code == "last_task"


def test_cancel_task_closes_a_task_that_is_not_the_last(world, deal, task):
    other = create_task(actor=world.owner, deal=deal, **task_spec(days=2))
    cancel_task(actor=world.owner, task=other, comment="Не нужно")
    assert (Task.objects.get(pk=other.pk).status, [t.pk for t in open_tasks(deal)]) == ("cancelled", [task.pk])


def test_cancel_task_refuses_a_closed_task(world, deal, task):
    other = create_task(actor=world.owner, deal=deal, **task_spec(days=2))
    cancel_task(actor=world.owner, task=other)
    with unchanged(), pytest.raises(DomainError) as exc:
        cancel_task(actor=world.owner, task=other)
    assert exc.value.code == "task_closed"


def test_cancel_task_of_a_client_task_is_allowed(world):
    task = create_task(actor=world.owner, client=make_client(world.owner), **task_spec())
    cancel_task(actor=world.owner, task=task)
    assert Task.objects.get(pk=task.pk).status == "cancelled"
