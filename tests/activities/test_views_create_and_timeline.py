"""The "New task" dialog (activities:create) and the timeline endpoint (activities:timeline_add)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal
from voronka.activities.models import Activity, Task
from voronka.activities.selectors import timeline_of

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
CREATE = "/tasks/new/"
ADD = "/timeline/add/"


def day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline)


@pytest.fixture
def owner_client(client, world):
    client.force_login(world.owner)
    return client


def test_urls_are_named():
    assert reverse("activities:create") == CREATE
    assert reverse("activities:timeline_add") == ADD
    assert reverse("activities:complete", args=[5]) == "/tasks/5/complete/"


# --- New task ----------------------------------------------------------------------------------------

def test_create_requires_login(client, deal):
    assert client.get(f"{CREATE}?deal={deal.pk}").status_code == 302


def test_create_dialog_for_a_deal(owner_client, deal):
    response = owner_client.get(f"{CREATE}?deal={deal.pk}", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<dialog data-autoopen" in html and f'name="deal" value="{deal.pk}"' in html
    assert response.context["form"]["due_date"].value() == timezone.localdate() + dt.timedelta(days=1)


def test_create_posts_a_task_and_triggers_refresh(owner_client, world, deal):
    response = owner_client.post(CREATE, {"deal": deal.pk, "title": "Отправить договор", "kind": "email",
                                          "due_date": day(2), "due_time": "10:00"}, **HTMX)
    assert response.status_code == 200
    events = json.loads(response["HX-Trigger"])
    assert events["tasksChanged"] is True and events["voronka:closeDialog"] is True
    task = Task.objects.get(pk=events["taskCreated"]["id"])
    assert (task.deal_id, task.title, task.kind, task.assignee_id) == (deal.pk, "Отправить договор", "email",
                                                                       world.owner.pk)


def test_create_for_a_client(owner_client, world):
    c = make_client(world.owner)
    response = owner_client.post(CREATE, {"client": c.pk, "title": "Позвонить", "kind": "call",
                                          "due_date": day(1)}, **HTMX)
    assert response.status_code == 200 and "HX-Trigger" in response
    assert Task.objects.filter(client=c, deal=None, title="Позвонить").exists()


def test_create_lead_may_assign_to_a_teammate(client, world, deal):
    client.force_login(world.lead)
    response = client.post(CREATE, {"deal": deal.pk, "title": "Встреча", "kind": "meeting",
                                    "due_date": day(1), "assignee": world.teammate.pk}, **HTMX)
    assert response.status_code == 200
    assert Task.objects.get(title="Встреча").assignee_id == world.teammate.pk


def test_create_rejects_an_assignee_outside_the_choices(client, world, deal):
    client.force_login(world.lead)
    with unchanged():
        response = client.post(CREATE, {"deal": deal.pk, "title": "Встреча", "kind": "meeting",
                                        "due_date": day(1), "assignee": world.outsider.pk}, **HTMX)
    assert response.status_code == 200
    assert "assignee" in response.context["form"].errors


def test_create_without_title_or_date_shows_field_errors(owner_client, deal):
    with unchanged():
        response = owner_client.post(CREATE, {"deal": deal.pk, "title": "", "kind": "call", "due_date": "xx"},
                                     **HTMX)
    assert response.status_code == 200
    assert {"title", "due_date"} <= set(response.context["form"].errors)


@pytest.mark.parametrize("query", ["", "?deal=abc", "?deal=999999", "?client=-3", f"?deal={10**30}"])
def test_create_with_a_bad_target_is_404(owner_client, query):
    assert owner_client.get(f"{CREATE}{query}", **HTMX).status_code == 404


def test_create_on_someone_elses_deal_is_404(client, world, deal):
    client.force_login(world.outsider)
    assert client.get(f"{CREATE}?deal={deal.pk}", **HTMX).status_code == 404
    with unchanged():
        response = client.post(CREATE, {"deal": deal.pk, "title": "x", "kind": "call", "due_date": day(1)}, **HTMX)
    assert response.status_code == 404


# --- Timeline ----------------------------------------------------------------------------------------

def test_timeline_add_returns_the_rendered_entry(owner_client, world, deal):
    response = owner_client.post(ADD, {"kind": "call", "body": "Клиент просит скидку", "deal": deal.pk}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="tl-entry tl-call"' in html and "Клиент просит скидку" in html
    events = json.loads(response["HX-Trigger"])
    assert events["timelineChanged"]["deal"] == deal.pk
    entry = Activity.objects.get(pk=events["timelineChanged"]["id"])
    assert (entry.kind, entry.author_id, entry.client_id) == ("call", world.owner.pk, deal.client_id)


def test_timeline_add_to_a_client(owner_client, world):
    c = make_client(world.owner)
    response = owner_client.post(ADD, {"kind": "note", "body": "Заметка", "client": c.pk}, **HTMX)
    assert response.status_code == 200
    assert Activity.objects.filter(client=c, deal=None, kind="note").count() == 1


def test_timeline_add_errors_are_retargeted_into_the_form(owner_client, deal):
    with unchanged():
        for data in ({"kind": "note", "body": "  ", "deal": deal.pk}, {"kind": "stage_change", "body": "x",
                                                                       "deal": deal.pk},
                     {"kind": "note", "body": "x"}):
            response = owner_client.post(ADD, data, **HTMX)
            assert response.status_code == 200
            assert response["HX-Retarget"] == "find .timeline-form-errors"
            assert 'class="form-errors"' in response.content.decode()


@pytest.mark.parametrize("deal_id", ["abc", "0", "999999", str(10**30)])
def test_timeline_add_with_bad_ids_is_404_or_error(owner_client, deal_id):
    with unchanged():
        response = owner_client.post(ADD, {"kind": "note", "body": "x", "deal": deal_id}, **HTMX)
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "HX-Retarget" in response


def test_timeline_add_on_someone_elses_deal_is_404(client, world, deal):
    client.force_login(world.outsider)
    with unchanged():
        assert client.post(ADD, {"kind": "note", "body": "x", "deal": deal.pk}, **HTMX).status_code == 404


def test_timeline_add_is_post_only(owner_client):
    assert owner_client.get(ADD).status_code == 405


def test_timeline_add_without_htmx_redirects(owner_client, deal):
    response = owner_client.post(ADD, {"kind": "note", "body": "Без JS", "deal": deal.pk,
                                       "next": f"/deals/{deal.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/deals/{deal.pk}/"


def test_timeline_partials_render_for_includers(world, deal):
    owner_client_entry = Activity.objects.create(kind="note", deal=deal, client=deal.client, author=world.owner,
                                                 body="Первая\nвторая строка", at=timezone.now())
    html = render_to_string("activities/_timeline.html", {"timeline": timeline_of(deal=deal), "show_deal": True})
    assert 'id="timeline-list"' in html and f'id="activity-{owner_client_entry.pk}"' in html
    assert "Первая<br>\nвторая строка" in html  # Markdown (nl2br): a line break stays a line break
    form = render_to_string("activities/_timeline_form.html", {"deal": deal, "timeline_id": "deal-tl"})
    assert 'hx-target="#deal-tl-list"' in form and f'name="deal" value="{deal.pk}"' in form
