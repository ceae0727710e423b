"""My day: overdue / today / upcoming tasks, scoped by role, with a manager filter for leads and heads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_deal, task_spec
from voronka.activities.services import create_task

pytestmark = pytest.mark.django_db
URL = "/my-day/"


def titles(response) -> set[str]:
    day = response.context["day"]
    return {t.title for t in [*day.overdue, *day.today, *day.upcoming]}


@pytest.fixture
def tasks(world):
    """Deals of owner (yesterday, today, in 3 days, in 30 days), teammate (today), outsider (today)."""
    # a first task cannot be in the past (create_deal): the task became overdue after the deal was opened
    make_deal(world.owner, world.pipeline, title="D-overdue", first_task=task_spec(0, title="owner overdue")
              ).tasks.update(due_date=timezone.localdate() - dt.timedelta(days=1))
    make_deal(world.owner, world.pipeline, title="D-today", first_task=task_spec(0, title="owner today"))
    make_deal(world.owner, world.pipeline, title="D-soon", first_task=task_spec(3, title="owner soon"))
    make_deal(world.owner, world.pipeline, title="D-later", first_task=task_spec(30, title="owner later"))
    make_deal(world.teammate, world.pipeline, first_task=task_spec(0, title="teammate today"))
    make_deal(world.outsider, world.pipeline, first_task=task_spec(0, title="outsider today"))


def test_it_is_one_click_from_the_home_page(client, world):
    """The home page is the role's dashboard (analytics); My day is in the main navigation."""
    assert reverse("web:my_day") == URL
    client.force_login(world.owner)
    assert client.get("/").url == reverse("analytics:dashboard")
    assert f'href="{URL}"' in client.get(reverse("analytics:dashboard")).content.decode()


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_manager_sees_own_tasks_in_three_sections_with_counters(client, world, tasks):
    client.force_login(world.owner)
    response = client.get(URL)
    assert response.status_code == 200
    day = response.context["day"]
    assert [t.title for t in day.overdue] == ["owner overdue"]
    assert [t.title for t in day.today] == ["owner today"]
    assert [t.title for t in day.upcoming] == ["owner soon"]
    assert day.counts == {"overdue": 1, "today": 1, "upcoming": 1}
    html = response.content.decode()
    assert 'id="my-day-list"' in html and 'hx-trigger="tasksChanged from:body"' in html
    assert "flag-overdue" in html and "D-today" in html
    assert 'id="assignee-select"' not in html  # a manager has nobody to filter by
    assert 'class="kbd-hint' in html


def test_rows_link_the_deal_and_open_the_complete_dialog(client, world, tasks):
    client.force_login(world.owner)
    html = client.get(URL).content.decode()
    task = client.get(URL).context["day"].today[0]
    assert f'href="{reverse("deals:detail", args=[task.deal_id])}"' in html
    assert f'hx-get="{reverse("activities:complete", args=[task.pk])}"' in html
    assert 'data-task-row' in html and 'tabindex="0"' in html


def test_manager_never_sees_others_tasks_even_when_asking(client, world, tasks):
    client.force_login(world.owner)
    response = client.get(URL, {"assignee": world.teammate.pk})
    assert titles(response) == {"owner overdue", "owner today", "owner soon"}


def test_lead_sees_the_team_and_filters_by_manager(client, world, tasks):
    client.force_login(world.lead)
    response = client.get(URL)
    assert titles(response) == {"owner overdue", "owner today", "owner soon", "teammate today"}
    html = response.content.decode()
    assert 'id="assignee-select"' in html and str(world.teammate) in html
    assert str(world.outsider) not in [str(p) for p in response.context["people"]]
    response = client.get(URL, {"assignee": world.teammate.pk})
    assert titles(response) == {"teammate today"}
    assert response.context["assignee"] == world.teammate.pk
    assert f'value="{world.teammate.pk}" selected' in response.content.decode()


def test_head_sees_everyone_and_filters(client, world, tasks):
    client.force_login(world.head)
    assert "outsider today" in titles(client.get(URL))
    assert titles(client.get(URL, {"assignee": world.outsider.pk})) == {"outsider today"}


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "99999999", str(10**30), "1.5"])
def test_bad_assignee_is_ignored(client, world, tasks, bad):
    client.force_login(world.lead)
    response = client.get(URL, {"assignee": bad})
    assert response.status_code == 200
    assert response.context["assignee"] is None
    assert len(titles(response)) == 4


def test_outsider_filtered_by_a_lead_of_another_team_is_ignored(client, world, tasks):
    client.force_login(world.lead)
    response = client.get(URL, {"assignee": world.outsider.pk})
    assert response.context["assignee"] is None
    assert "outsider today" not in titles(response)


def test_htmx_refresh_returns_only_the_list(client, world, tasks):
    client.force_login(world.owner)
    response = client.get(URL, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="my-day-list")
    html = response.content.decode()
    assert html.lstrip().startswith("<div id=\"my-day-list\"") and "<html" not in html


def test_empty_day_shows_a_friendly_state(client, world):
    client.force_login(world.owner)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["total"] == 0
    assert "day-empty" in response.content.decode()


def test_read_only_analyst_sees_no_complete_buttons(client, world, tasks):
    client.force_login(world.analyst)
    response = client.get(URL)
    assert response.status_code == 200 and "data-complete" not in response.content.decode()


def _build(world, n: int) -> None:
    today = timezone.localdate()
    for i in range(n):
        deal = make_deal(world.owner, world.pipeline, first_task=task_spec(i % 3))
        if i % 3 == 0:  # overdue since (a first task is never created in the past)
            deal.tasks.update(due_date=today - dt.timedelta(days=1))
        create_task(actor=world.owner, deal=deal, title=f"extra {i}", kind="meeting",
                    due_date=today + dt.timedelta(days=2), due_time=dt.time(10, i % 60))
    create_task(actor=world.owner, client=deal.client, title="client task", kind="call", due_date=today)


@pytest.mark.parametrize("who", ["owner", "lead", "head"])
def test_query_count_does_not_grow_with_tasks(client, world, who):
    client.force_login(getattr(world, who))
    _build(world, 3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    _build(world, 7)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL)
    assert len(response.context["day"].upcoming) >= 10
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    # 2 read the user's access (role scopes, pipeline access) once per request; 1 counts the bell's unread,
    # 1 the top bar's task counters
    assert len(large) <= 12
