"""Clients, contacts and tasks through HTTP: search and filters, create (duplicates), update on a version,
the scope (404, nothing written), tasks created, completed with each outcome, postponed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.api.conftest import assert_problem
from tests.dbstate import unchanged
from tests.factories import make_client, make_deal
from voronka.activities.models import Task, TaskStatus
from voronka.clients.models import Client, Contact

pytestmark = pytest.mark.django_db


def _due(days=1):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_create_client_with_contacts_normalises_and_records(world, api):
    response = api(world.owner).post("clients", {
        "name": "ООО Ромашка", "phone": "8 (495) 123-45-67", "email": "Info@Romashka.RU", "region": world.region.pk,
        "rating": "A", "contacts": [{"name": "Иван", "phone": "+7 916 000-00-01"}]})
    assert response.status_code == 201, response.content
    data = response.json()
    client = Client.objects.get(pk=data["id"])
    assert (client.phone, client.email, client.region_id) == ("+74951234567", "info@romashka.ru", world.region.pk)
    assert data["region"] == {"id": world.region.pk, "name": "Москва"} and data["version"] == 1
    assert list(Contact.objects.filter(client=client).values_list("name", "phone")) == [("Иван", "+79160000001")]


def test_duplicate_client_is_409_unless_allowed(world, api):
    make_client(world.teammate, name="ООО Дубль", phone="+74950000000")
    http = api(world.owner)
    with unchanged():
        assert_problem(http.post("clients", {"name": "Другое", "phone": "8 495 000 00 00"}), 409, "duplicate")
    assert http.post("clients", {"name": "Другое", "phone": "8 495 000 00 00", "allow_duplicate": True}
                     ).status_code == 201


def test_client_with_an_unknown_region_is_a_field_error(world, api):
    http = api(world.owner)
    with unchanged():
        assert_problem(http.post("clients", {"name": "ООО", "region": 99999}), 404, field="region")


def test_update_client_on_its_version(world, api):
    client = make_client(world.owner, name="ООО Старое")
    http = api(world.owner)
    response = http.patch(f"clients/{client.pk}", {"version": 1, "name": "ООО Новое", "region": world.region.pk})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["version"]) == ("ООО Новое", 2)
    with unchanged():
        assert_problem(http.patch(f"clients/{client.pk}", {"version": 1, "name": "ООО Назад"}), 409, "stale")
    response = http.patch(f"clients/{client.pk}", {"version": 2, "region": None})
    assert response.json()["region"] is None


def test_clients_outside_scope_are_404(world, api):
    hidden = make_client(world.outsider, name="ООО Чужое")
    http = api(world.owner)
    assert_problem(http.get(f"clients/{hidden.pk}"), 404)
    assert http.get("clients", {"q": "Чужое"}).json()["items"] == []
    with unchanged():
        assert_problem(http.patch(f"clients/{hidden.pk}", {"version": 1, "name": "x"}), 404)
        assert_problem(http.post(f"clients/{hidden.pk}/contacts", {"name": "x"}), 404)
        assert_problem(http.get(f"clients/{hidden.pk}/contacts"), 404)


def test_client_search_and_filters(world, api):
    a = make_client(world.owner, name="ООО Семён и сыновья", rating="A")
    b = make_client(world.owner, name="ИП Петров", inn="7707083893")
    http = api(world.owner, "read")

    def ids(**params):
        return {c["id"] for c in http.get("clients", params).json()["items"]}

    assert ids() == {a.pk, b.pk}
    assert ids(q="семен") == {a.pk}
    assert ids(q="7707083893") == {b.pk}
    assert ids(rating="A") == {a.pk}
    assert ids(status="refused") == set()


def test_contacts_of_a_client(world, api):
    client = make_client(world.owner)
    http = api(world.owner)
    created = http.post(f"clients/{client.pk}/contacts", {"name": "Мария", "email": "M@X.RU"})
    assert created.status_code == 201, created.content
    assert created.json()["email"] == "m@x.ru"
    assert [c["name"] for c in http.get(f"clients/{client.pk}/contacts").json()["items"]] == ["Мария"]
    with unchanged():
        assert_problem(http.post(f"clients/{client.pk}/contacts", {"name": "  "}), 400, field="contact_name")


def test_tasks_mine_and_in_scope(world, api):
    mine = make_deal(world.owner, world.pipeline)
    theirs = make_deal(world.teammate, world.pipeline)
    lead = api(world.lead, "read")
    owner = api(world.owner, "read")
    mine_task = Task.objects.get(deal=mine)
    their_task = Task.objects.get(deal=theirs)
    assert {t["id"] for t in owner.get("tasks").json()["items"]} == {mine_task.pk}
    assert {t["id"] for t in lead.get("tasks").json()["items"]} == {mine_task.pk, their_task.pk}
    assert lead.get("tasks", {"mine": "true"}).json()["items"] == []
    assert_problem(owner.get(f"tasks/{their_task.pk}"), 404)
    assert owner.get(f"tasks/{mine_task.pk}").json()["deal"] == {"id": mine.pk, "name": mine.title}


def test_create_task_for_a_deal_and_for_a_client(world, api):
    deal = make_deal(world.owner, world.pipeline)
    client = make_client(world.owner)
    http = api(world.owner)
    response = http.post("tasks", {"deal": deal.pk, "title": "Демо", "kind": "demo", "due_date": _due(3)})
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["assignee"]["username"]) == ("demo", "owner")
    response = http.post("tasks", {"client": client.pk, "title": "Письмо", "kind": "email", "due_date": _due()})
    assert response.status_code == 201 and response.json()["client"]["id"] == client.pk
    with unchanged():
        assert_problem(http.post("tasks", {"title": "Ничей", "due_date": _due()}), 400, field="deal")
    other = make_deal(world.outsider, world.pipeline)
    with unchanged():
        assert_problem(http.post("tasks", {"deal": other.pk, "title": "x", "due_date": _due()}), 404, field="deal")


def test_complete_with_result_needs_the_next_task(world, api):
    deal = make_deal(world.owner, world.pipeline)
    task = Task.objects.get(deal=deal)
    http = api(world.owner)
    with unchanged():
        body = assert_problem(http.post(f"tasks/{task.pk}/complete", {"outcome": "result", "comment": "ok"}), 422,
                              "required_fields_missing")
    assert body["fields"] == ["next_title", "next_due_date"]
    response = http.post(f"tasks/{task.pk}/complete", {
        "outcome": "result", "comment": "Договорились", "next_task": {"title": "КП", "due_date": _due(2)}})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["task"]["status"], data["task"]["outcome"]) == ("done", "result")
    assert data["follow_up"]["title"] == "КП"
    assert Task.objects.filter(deal=deal, status=TaskStatus.OPEN).count() == 1


def test_postpone_creates_the_follow_up(world, api):
    deal = make_deal(world.owner, world.pipeline)
    task = Task.objects.get(deal=deal)
    http = api(world.owner)
    with unchanged():
        assert_problem(http.post(f"tasks/{task.pk}/postpone", {"to": "2000-01-01", "comment": "x"}), 400,
                       field="postpone_to")
    response = http.post(f"tasks/{task.pk}/postpone", {"to": _due(7), "comment": "Перезвонить позже"})
    assert response.status_code == 200, response.content
    assert response.json()["task"]["outcome"] == "postpone"
    assert response.json()["follow_up"]["due_date"] == _due(7)


def test_complete_with_refusal_loses_the_deal(world, api):
    deal = make_deal(world.owner, world.pipeline)
    task = Task.objects.get(deal=deal)
    response = api(world.owner).post(f"tasks/{task.pk}/complete", {
        "outcome": "refusal", "comment": "Нет бюджета", "lost_reason": world.reason.pk})
    assert response.status_code == 200, response.content
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason_id) == ("lost", world.reason.pk)


def test_complete_a_closed_task_twice_is_refused(world, api):
    deal = make_deal(world.owner, world.pipeline)
    task = Task.objects.get(deal=deal)
    http = api(world.owner)
    assert http.post(f"tasks/{task.pk}/postpone", {"to": _due(7), "comment": "x"}).status_code == 200
    with unchanged():
        assert_problem(http.post(f"tasks/{task.pk}/postpone", {"to": _due(8), "comment": "x"}), 400, "task_closed")


def test_unknown_outcome_is_a_validation_problem(world, api):
    deal = make_deal(world.owner, world.pipeline)
    task = Task.objects.get(deal=deal)
    http = api(world.owner)
    with unchanged():
        body = assert_problem(http.post(f"tasks/{task.pk}/complete", {"outcome": "maybe", "comment": "x"}), 422,
                              "validation")
    assert body["errors"][0]["field"] == "outcome"


@pytest.mark.parametrize("due_time", ["10:00Z", "10:00:00+03:00", "25:00", "noon"])
def test_due_time_is_a_local_time(world, api, due_time):
    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner)
    with unchanged():
        response = http.post("tasks", {"deal": deal.pk, "title": "x", "due_date": _due(), "due_time": due_time})
        assert_problem(response, 422, "validation", field="due_time")


def test_service_refuses_an_aware_due_time(world):
    """Found by schemathesis: SQLite cannot store an aware time (a 500); the service refuses it."""
    from voronka.activities.services import create_task
    from voronka.core.errors import DomainError

    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(DomainError) as exc:
        create_task(actor=world.owner, deal=deal, title="x", due_date=timezone.localdate(),
                    due_time=dt.time(10, 0, tzinfo=dt.UTC))
    assert exc.value.field == "due_time"
    task = create_task(actor=world.owner, deal=deal, title="x", due_date=timezone.localdate(), due_time="09:30")
    assert task.due_time == dt.time(9, 30)


@pytest.mark.parametrize("due", ["0", "1700000000", "2026-1-1", "01.12.2026"])
def test_dates_are_iso_text(world, api, due):
    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner)
    with unchanged():
        assert_problem(http.post("tasks", {"deal": deal.pk, "title": "x", "due_date": due}), 422, field="due_date")
    assert_problem(http.get("tasks", {"due_before": due}), 422, field="due_before")


def test_timeline_of_a_deal_and_a_client_and_a_new_entry(world, api):
    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner)
    response = http.post("timeline", {"kind": "call", "body": "Позвонил, заинтересован", "deal": deal.pk})
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["author"]["username"]) == ("call", "owner")
    deal_entries = http.get(f"deals/{deal.pk}/timeline").json()["items"]
    assert deal_entries[0]["body"] == "Позвонил, заинтересован"
    assert {e["kind"] for e in deal_entries} >= {"call", "system"}
    client_entries = http.get(f"clients/{deal.client_id}/timeline").json()["items"]
    assert {e["id"] for e in deal_entries} <= {e["id"] for e in client_entries}
    with unchanged():
        assert_problem(http.post("timeline", {"kind": "call", "body": " ", "deal": deal.pk}), 400, field="body")
        assert_problem(http.post("timeline", {"kind": "stage_change", "body": "x", "deal": deal.pk}), 422,
                       field="kind")


def test_timeline_outside_scope_is_404(world, api):
    deal = make_deal(world.outsider, world.pipeline)
    http = api(world.owner)
    assert_problem(http.get(f"deals/{deal.pk}/timeline"), 404)
    assert_problem(http.get(f"clients/{deal.client_id}/timeline"), 404)
    with unchanged():
        assert_problem(http.post("timeline", {"kind": "note", "body": "x", "deal": deal.pk}), 404, field="deal")


def test_another_managers_task_cannot_be_completed_or_postponed(world, api):
    deal = make_deal(world.teammate, world.pipeline)
    task = Task.objects.get(deal=deal)
    http = api(world.owner)
    with unchanged():
        assert_problem(http.post(f"tasks/{task.pk}/complete", {"outcome": "refusal", "comment": "x",
                                                               "lost_reason": world.reason.pk}), 404)
        assert_problem(http.post(f"tasks/{task.pk}/postpone", {"to": _due(3), "comment": "x"}), 404)


def test_update_and_cancel_a_task(world, api):
    deal = make_deal(world.owner, world.pipeline)
    first = Task.objects.get(deal=deal)
    http = api(world.owner)
    response = http.patch(f"tasks/{first.pk}", {"title": "Позвонить ещё раз", "due_date": _due(4)})
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["due_date"], response.json()["kind"]) == (
        "Позвонить ещё раз", _due(4), "call")
    with unchanged():  # the last open task of an open deal is completed, not cancelled
        assert_problem(http.post(f"tasks/{first.pk}/cancel", {"comment": "x"}), 400, "last_task")
        assert_problem(http.patch(f"tasks/{first.pk}", {"assignee": world.teammate.pk}), 403, field="assignee")
    second = http.post("tasks", {"deal": deal.pk, "title": "Письмо", "due_date": _due(2)}).json()
    cancelled = http.post(f"tasks/{second['id']}/cancel", {"comment": "не нужно"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_task_patch_refuses_nulls_and_empty_bodies_but_clears_the_time(world, api):
    deal = make_deal(world.owner, world.pipeline)
    task = Task.objects.get(deal=deal)
    http = api(world.owner)
    assert http.patch(f"tasks/{task.pk}", {"due_time": "10:30"}).json()["due_time"] == "10:30:00"
    with unchanged():
        for body in ({}, {"title": None}, {"due_date": None}, {"assignee": None}, {"kind": None}):
            assert_problem(http.patch(f"tasks/{task.pk}", body), 422, "validation")
        assert_problem(http.patch(f"tasks/{task.pk}", raw="[]"), 400, "bad_request")
    assert http.patch(f"tasks/{task.pk}", {"due_time": None}).json()["due_time"] is None
