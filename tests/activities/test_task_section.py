"""The task section (/tasks/): scope, filters, sorting, pages, counts per assignee, bulk reassign/postpone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_deal, task_spec
from voronka.activities.models import Outcome, Task, TaskStatus
from voronka.activities.selectors import TaskFilter, list_tasks, task_counts_by_assignee, tasks_for_bulk
from voronka.activities.services import bulk_postpone_tasks, bulk_reassign_tasks, create_task
from voronka.core.errors import DomainError, Forbidden

pytestmark = pytest.mark.django_db
URL = "/tasks/"


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def tasks(world):
    """owner: overdue call, today's meeting, a call in 3 days, a call in 30 days (other pipeline);
    teammate: today's call; outsider (other team): today's call."""
    # a first task cannot be in the past (create_deal): the task became overdue after the deal was opened
    make_deal(world.owner, world.pipeline, title="D-overdue", first_task=task_spec(0, title="owner overdue")
              ).tasks.update(due_date=timezone.localdate() - dt.timedelta(days=2))
    make_deal(world.owner, world.pipeline, title="D-today",
              first_task=task_spec(0, title="owner today", kind="meeting"))
    make_deal(world.owner, world.pipeline, title="D-soon", first_task=task_spec(3, title="owner soon"))
    make_deal(world.owner, world.other_pipeline, title="D-later", first_task=task_spec(30, title="owner later"))
    make_deal(world.teammate, world.pipeline, first_task=task_spec(0, title="teammate today"))
    make_deal(world.outsider, world.pipeline, first_task=task_spec(0, title="outsider today"))


def titles(qs) -> set[str]:
    return {t.title for t in qs}


def test_manager_sees_only_own_tasks(world, tasks):
    assert titles(list_tasks(actor=world.owner)) == {"owner overdue", "owner today", "owner soon", "owner later"}


def test_lead_sees_the_team_and_head_everyone(world, tasks):
    assert titles(list_tasks(actor=world.lead)) == {"owner overdue", "owner today", "owner soon", "owner later",
                                                   "teammate today"}
    assert "outsider today" in titles(list_tasks(actor=world.head))


def test_outsider_sees_none_of_the_team(world, tasks):
    assert titles(list_tasks(actor=world.outsider)) == {"outsider today"}


@pytest.mark.parametrize(("filters", "expected"), [
    (TaskFilter(due="overdue"), {"owner overdue"}),
    (TaskFilter(due="today"), {"owner today", "teammate today"}),
    (TaskFilter(kind="meeting"), {"owner today"}),
    (TaskFilter(due="range", due_from=None, due_to=None), None),
])
def test_due_and_kind_filters(world, tasks, filters, expected):
    expected = expected or titles(list_tasks(actor=world.lead))
    assert titles(list_tasks(actor=world.lead, filters=filters)) == expected


def test_this_week_is_monday_to_sunday(world, tasks):
    monday = today() - dt.timedelta(days=today().weekday())
    sunday = monday + dt.timedelta(days=6)
    expected = {t.title for t in list_tasks(actor=world.lead) if monday <= t.due_date <= sunday}
    assert titles(list_tasks(actor=world.lead, filters=TaskFilter(due="week"))) == expected


def test_range_filter_bounds_are_inclusive(world, tasks):
    f = TaskFilter(due="range", due_from=today(), due_to=today() + dt.timedelta(days=3))
    assert titles(list_tasks(actor=world.lead, filters=f)) == {"owner today", "teammate today", "owner soon"}


def test_pipeline_stage_and_assignee_filters(world, tasks):
    assert titles(list_tasks(actor=world.lead, filters=TaskFilter(pipeline=world.other_pipeline.pk))) == {
        "owner later"}
    stage = world.other_pipeline.stages.order_by("position").first()
    assert titles(list_tasks(actor=world.lead, filters=TaskFilter(stage=stage.pk))) == {"owner later"}
    assert titles(list_tasks(actor=world.lead, filters=TaskFilter(assignee=world.teammate.pk))) == {
        "teammate today"}


def test_status_filter_shows_closed_tasks_on_demand(world, tasks):
    task = Task.objects.get(title="owner soon")
    bulk_postpone_tasks(actor=world.lead, tasks=[task], postpone_to=today() + dt.timedelta(days=5),
                        comment="Клиент в отпуске")
    assert "owner soon" not in titles(list_tasks(actor=world.lead, filters=TaskFilter(status="done")).filter(
        status=TaskStatus.OPEN))
    assert titles(list_tasks(actor=world.lead, filters=TaskFilter(status="done"))) == {"owner soon"}
    assert len(list_tasks(actor=world.lead, filters=TaskFilter(status="all"))) == 6


def test_sorting_by_due_date_both_ways(world, tasks):
    dates = [t.due_date for t in list_tasks(actor=world.lead, order="due")]
    assert dates == sorted(dates)
    dates = [t.due_date for t in list_tasks(actor=world.lead, order="-due")]
    assert dates == sorted(dates, reverse=True)


def test_counts_per_assignee_match_an_independent_count(world, tasks):
    rows = {r.assignee_id: r for r in task_counts_by_assignee(actor=world.lead)}
    for user in (world.owner, world.teammate):
        mine = [t for t in Task.objects.all() if t.assignee_id == user.pk and t.status == "open"]
        assert rows[user.pk].open == len(mine)
        assert rows[user.pk].overdue == sum(1 for t in mine if t.due_date < today())
        assert rows[user.pk].today == sum(1 for t in mine if t.due_date == today())
    assert world.outsider.pk not in rows
    assert task_counts_by_assignee(actor=world.owner) == []


def test_bulk_reassign_moves_tasks_within_the_team(world, tasks):
    chosen = tasks_for_bulk(actor=world.lead, ids=list(Task.objects.filter(assignee=world.owner).values_list(
        "pk", flat=True)))
    assert bulk_reassign_tasks(actor=world.lead, tasks=chosen, assignee=world.teammate) == 4
    assert Task.objects.filter(assignee=world.teammate, status="open").count() == 5


def test_bulk_reassign_refuses_someone_outside_the_scope(world, tasks):
    chosen = tasks_for_bulk(actor=world.lead, ids=list(Task.objects.values_list("pk", flat=True)))
    with pytest.raises(DomainError):
        bulk_reassign_tasks(actor=world.lead, tasks=chosen, assignee=world.outsider)
    assert not Task.objects.filter(assignee=world.outsider).exclude(title="outsider today").exists()


def test_bulk_actions_are_refused_to_a_manager(world, tasks):
    chosen = list(Task.objects.filter(assignee=world.owner))
    with pytest.raises(Forbidden):
        bulk_reassign_tasks(actor=world.owner, tasks=chosen, assignee=world.owner)
    with pytest.raises(Forbidden):
        bulk_postpone_tasks(actor=world.owner, tasks=chosen, postpone_to=today(), comment="x")


def test_tasks_for_bulk_leaves_out_hidden_tasks(world, tasks):
    hidden = Task.objects.get(title="outsider today")
    assert tasks_for_bulk(actor=world.lead, ids=[hidden.pk]) == []


def test_bulk_postpone_follows_the_postpone_rules(world, tasks):
    chosen = list(Task.objects.filter(title__in=["owner overdue", "teammate today"]))
    with pytest.raises(DomainError) as err:
        bulk_postpone_tasks(actor=world.lead, tasks=chosen, postpone_to=today() + dt.timedelta(days=2), comment=" ")
    assert err.value.field == "comment"
    with pytest.raises(DomainError) as err:
        bulk_postpone_tasks(actor=world.lead, tasks=chosen, postpone_to=today() - dt.timedelta(days=1),
                            comment="Перенос")
    assert err.value.field == "postpone_to"
    new_date = today() + dt.timedelta(days=2)
    assert bulk_postpone_tasks(actor=world.lead, tasks=chosen, postpone_to=new_date, comment="Перенос") == 2
    for task in chosen:
        task.refresh_from_db()
        assert task.status == "done" and task.outcome == Outcome.POSTPONE
        assert task.follow_up.due_date == new_date and task.follow_up.status == "open"
        assert task.follow_up.assignee_id == task.assignee_id


# --- views ----------------------------------------------------------------------------------------------------

def test_page_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_page_lists_filters_and_is_linked_in_the_nav(client, world, tasks):
    client.force_login(world.lead)
    response = client.get(URL, {"due": "today"})
    html = response.content.decode()
    assert response.status_code == 200
    assert {t.title for t in response.context["tasks"]} == {"owner today", "teammate today"}
    assert 'href="/tasks/"' in html and 'data-testid="assignee-counts"' in html and 'data-testid="task-bulk"' in html


def test_manager_gets_no_bulk_bar_nor_counts(client, world, tasks):
    client.force_login(world.owner)
    html = client.get(URL).content.decode()
    assert 'data-testid="task-bulk"' not in html and 'data-testid="assignee-counts"' not in html


@pytest.mark.parametrize("bad", ["x", "-1", "99999999999999999999", "２"])
def test_bad_filter_values_are_ignored_not_500(client, world, tasks, bad):
    client.force_login(world.lead)
    response = client.get(URL, {"assignee": bad, "pipeline": bad, "stage": bad, "due_from": bad, "kind": bad,
                                "o": bad, "page": bad})
    assert response.status_code == 200
    assert len(response.context["tasks"]) == 5


def test_bulk_view_postpones_and_reports(client, world, tasks):
    client.force_login(world.lead)
    ids = list(Task.objects.filter(assignee=world.owner).values_list("pk", flat=True)[:2])
    hidden = Task.objects.get(title="outsider today").pk
    response = client.post("/tasks/bulk/", {"action": "postpone", "task": [*ids, hidden], "comment": "Отпуск",
                                            "postpone_to": (today() + dt.timedelta(days=1)).isoformat(),
                                            "next": "/tasks/?due=overdue"}, follow=True)
    assert response.redirect_chain[-1][0] == "/tasks/?due=overdue"
    assert Task.objects.filter(pk__in=ids, status="done", outcome="postpone").count() == 2
    assert Task.objects.get(pk=hidden).status == "open"
    text = " ".join(str(m) for m in response.context["messages"])
    assert "2" in text and "1" in text


def test_bulk_view_without_comment_changes_nothing(client, world, tasks):
    client.force_login(world.lead)
    ids = list(Task.objects.filter(assignee=world.owner).values_list("pk", flat=True))
    client.post("/tasks/bulk/", {"action": "postpone", "task": ids,
                                 "postpone_to": (today() + dt.timedelta(days=1)).isoformat()})
    assert Task.objects.filter(pk__in=ids, status="open").count() == len(ids)


def test_bulk_view_reassigns(client, world, tasks):
    client.force_login(world.lead)
    ids = list(Task.objects.filter(assignee=world.owner).values_list("pk", flat=True))
    client.post("/tasks/bulk/", {"action": "reassign", "task": ids, "assignee": world.teammate.pk})
    assert Task.objects.filter(pk__in=ids, assignee=world.teammate).count() == len(ids)


def test_analyst_cannot_post_bulk(client, world, tasks):
    client.force_login(world.analyst)
    assert client.post("/tasks/bulk/", {"action": "reassign"}).status_code == 403


def _build(world, n: int) -> None:
    for i in range(n):
        deal = make_deal(world.owner, world.pipeline, first_task=task_spec(i % 3 - 1))
        create_task(actor=world.owner, deal=deal, title=f"extra {i}", kind="meeting",
                    due_date=today() + dt.timedelta(days=2), due_time=dt.time(10, i % 60))
        make_deal(world.teammate, world.pipeline, first_task=task_spec(i % 2))
    create_task(actor=world.owner, client=deal.client, title="client task", kind="call", due_date=today())


@pytest.mark.parametrize("who", ["owner", "lead", "head"])
def test_query_count_does_not_grow_with_tasks(client, world, who):
    client.force_login(getattr(world, who))
    _build(world, 3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    _build(world, 7)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL)
    assert len(response.context["tasks"]) >= 10
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    assert len(large) <= 14, len(large)
