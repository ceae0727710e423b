"""Task reads: scope per role, the "my day" buckets, constant query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_client, make_deal, task_spec
from voronka.activities.selectors import get_task, my_day, visible_tasks
from voronka.activities.services import create_task
from voronka.core.errors import NotFound


@pytest.fixture
def tasks(world):
    """First tasks of three deals (owner, teammate, outsider) plus a client task of the owner."""
    out = {who: make_deal(getattr(world, who), world.pipeline).tasks.get() for who in ("owner", "teammate",
                                                                                       "outsider")}
    out["client"] = create_task(actor=world.owner, client=make_client(world.owner), **task_spec())
    return out


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_visible_tasks_of_a_manager_are_their_own(world, tasks):
    assert _ids(visible_tasks(actor=world.owner)) == {tasks["owner"].pk, tasks["client"].pk}
    assert _ids(visible_tasks(actor=world.outsider)) == {tasks["outsider"].pk}


def test_visible_tasks_include_tasks_assigned_to_the_manager_on_others_deals(world, tasks):
    deal = tasks["teammate"].deal
    helper = create_task(actor=world.lead, deal=deal, assignee=world.owner, **task_spec(days=2))
    assert helper.pk in _ids(visible_tasks(actor=world.owner))
    assert tasks["teammate"].pk not in _ids(visible_tasks(actor=world.owner))


def test_visible_tasks_of_a_lead_are_their_teams(world, tasks):
    assert _ids(visible_tasks(actor=world.lead)) == {tasks["owner"].pk, tasks["teammate"].pk, tasks["client"].pk}


def test_visible_tasks_of_the_head_are_all(world, tasks):
    assert _ids(visible_tasks(actor=world.head)) == {t.pk for t in tasks.values()}


def test_get_task_of_a_hidden_task_raises_not_found(world, tasks):
    assert get_task(actor=world.owner, task_id=tasks["owner"].pk).pk == tasks["owner"].pk
    for task_id in (tasks["teammate"].pk, tasks["outsider"].pk, 987654, "x"):
        with pytest.raises(NotFound):
            get_task(actor=world.owner, task_id=task_id)


def test_my_day_sorts_open_tasks_into_overdue_today_and_upcoming(world):
    today = timezone.localdate()
    deal = make_deal(world.owner, world.pipeline, first_task=task_spec(days=0, title="Сегодня"))
    create_task(actor=world.owner, deal=deal, **task_spec(days=-2, title="Просрочена"))
    create_task(actor=world.owner, deal=deal, **task_spec(days=3, title="Скоро"))
    create_task(actor=world.owner, deal=deal, **task_spec(days=30, title="Не скоро"))
    make_deal(world.teammate, world.pipeline, first_task=task_spec(days=0, title="Чужая"))

    day = my_day(actor=world.owner)

    assert [t.title for t in day.overdue] == ["Просрочена"]
    assert [t.title for t in day.today] == ["Сегодня"]
    assert [t.title for t in day.upcoming] == ["Скоро"]
    assert day.counts == {"overdue": 1, "today": 1, "upcoming": 1}
    assert all(t.due_date <= today + dt.timedelta(days=7) for t in day.upcoming)


def test_my_day_of_a_lead_shows_the_team_and_can_pick_one_person(world):
    make_deal(world.owner, world.pipeline, first_task=task_spec(days=0, title="Владелец"))
    make_deal(world.teammate, world.pipeline, first_task=task_spec(days=0, title="Коллега"))
    make_deal(world.outsider, world.pipeline, first_task=task_spec(days=0, title="Чужой"))
    assert sorted(t.title for t in my_day(actor=world.lead).today) == ["Владелец", "Коллега"]
    assert [t.title for t in my_day(actor=world.lead, assignee=world.teammate.pk).today] == ["Коллега"]


def _make(world, n: int) -> None:
    for i in range(n):
        deal = make_deal(world.owner, world.pipeline, first_task=task_spec(days=(i % 3) - 1))
        create_task(actor=world.owner, deal=deal, **task_spec(days=i % 5))


def _my_day_queries(actor) -> int:
    actor = type(actor).objects.get(pk=actor.pk)  # as each request loads him (his scopes are read once)
    with CaptureQueriesContext(connection) as ctx:
        day = my_day(actor=actor)
        for task in (*day.overdue, *day.today, *day.upcoming):
            assert task.assignee.username
            assert task.deal.stage.name and task.deal.client.name
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["owner", "lead", "head"])
def test_my_day_runs_the_same_number_of_queries_for_3_and_10_deals(world, who):
    actor = getattr(world, who)
    _make(world, 3)
    small = _my_day_queries(actor)
    _make(world, 7)
    assert sum(my_day(actor=world.owner).counts.values()) == 20
    assert _my_day_queries(actor) == small
