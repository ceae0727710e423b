"""The telephony webhook through the real endpoint: calls on a known client's timeline (matched by phone on
the client or a contact), leads from unknown numbers, "Call back" tasks for missed calls, dedupe by event id,
the secret token, and a field-level 4xx for every bad value."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from tests.factories import make_client, make_deal
from voronka.activities.models import Activity, Task, TaskStatus
from voronka.clients.models import Client
from voronka.clients.services import add_contact
from voronka.deals.models import Deal
from voronka.events.models import OutboxEvent
from voronka.integrations.models import CallEvent

TOKEN = "tel_" + "x" * 40
URL = f"/integrations/telephony/{TOKEN}/"


@pytest.fixture(autouse=True)
def _telephony(settings, world):
    settings.VORONKA_TELEPHONY_TOKENS = ["old_" + "y" * 40, TOKEN]
    settings.VORONKA_TELEPHONY_ASSIGNEE = ""
    settings.VORONKA_TELEPHONY_EXTENSIONS = "101=owner,102=teammate@example.ru"
    world.owner.email = "owner@example.ru"
    world.owner.save()
    world.teammate.email = "teammate@example.ru"
    world.teammate.save()


def _payload(**extra):
    body = {"id": "evt-1", "direction": "in", "status": "answered", "caller": "+7 916 123-45-67",
            "callee": "+74950000000", "started_at": "2026-12-01T14:05:00+03:00", "duration": 95,
            "recording_url": "https://pbx.example/rec/1.mp3", "operator": "101"}
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def _post(payload, url=URL):
    return HttpClient(enforce_csrf_checks=True).post(url, json.dumps(payload), content_type="application/json")


def test_a_call_from_a_known_client_goes_on_his_timeline_and_deal(world):
    client = make_client(world.owner, phone="+79161234567")
    deal = make_deal(world.owner, world.pipeline, client=client)
    response = _post(_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client"] == client.pk and body["deal"] == deal.pk and body["new_lead"] is False
    entry = Activity.objects.get(kind="call", client=client)
    assert entry.deal_id == deal.pk and entry.author == world.owner  # extension 101 -> owner
    assert "https://pbx.example/rec/1.mp3" in entry.body and "1:35" in entry.body
    assert entry.data["duration"] == 95 and entry.data["direction"] == "in"
    assert entry.at.isoformat().startswith("2026-12-01T11:05")
    assert OutboxEvent.objects.filter(verb="call.logged", target_id=str(entry.pk)).exists()
    assert not Task.objects.filter(title="Перезвонить").exists() and not Task.objects.filter(
        title="Call back").exists()
    assert Deal.objects.count() == 1


def test_an_unknown_number_becomes_a_lead_a_missed_call_a_call_back_task_and_a_repeat_nothing(world):
    response = _post(_payload(status="missed", caller="8 (999) 000-11-22", operator="teammate@example.ru",
                              recording_url=None))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["new_lead"] is True
    deal = Deal.objects.get(pk=body["deal"])
    assert deal.owner == world.teammate and deal.pipeline == world.pipeline
    assert deal.client.phone == "+79990001122" and deal.client.responsible == world.teammate
    assert deal.client.channel == world.channel  # the dictionary item "Телефон"
    tasks = list(Task.objects.filter(deal=deal, status=TaskStatus.OPEN))
    assert [t.title for t in tasks] == ["Call back"] or [t.title for t in tasks] == ["Перезвонить"]
    assert tasks[0].assignee == world.teammate and tasks[0].due_date == timezone.localdate()
    assert Activity.objects.filter(kind="call", deal=deal).count() == 1
    assert OutboxEvent.objects.filter(verb="deal.created").exists()
    assert OutboxEvent.objects.filter(verb="call.logged").count() == 1

    again = _post(_payload(status="missed", caller="8 (999) 000-11-22", operator="teammate@example.ru",
                           recording_url=None))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["deal"] == deal.pk
    assert Deal.objects.count() == 1 and Client.objects.filter(phone="+79990001122").count() == 1
    assert Activity.objects.filter(kind="call").count() == 1 and CallEvent.objects.count() == 1
    assert OutboxEvent.objects.filter(verb="call.logged").count() == 1


def test_a_second_call_from_the_new_lead_goes_to_the_same_client(world):
    _post(_payload(id="a", caller="89990001122"))
    response = _post(_payload(id="b", caller="+79990001122", status="missed"))
    assert response.status_code == 201
    assert response.json()["new_lead"] is False
    assert Client.objects.filter(phone="+79990001122").count() == 1
    assert Activity.objects.filter(kind="call").count() == 2
    assert Task.objects.filter(status=TaskStatus.OPEN, assignee=world.owner).count() == 2  # first + call back


def test_a_contact_phone_matches_and_an_outgoing_call_matches_the_callee(world):
    client = make_client(world.owner, phone="+74951112233")
    add_contact(actor=world.owner, client=client, name="Пётр", phone="+79165554433")
    response = _post(_payload(direction="out", caller="101", callee="8-916-555-44-33", status="missed"))
    assert response.status_code == 201, response.content
    assert response.json()["client"] == client.pk and response.json()["deal"] is None
    task = Task.objects.get(client=client, status=TaskStatus.OPEN)  # no deal: a client task for the manager
    assert task.assignee == world.owner and task.kind == "call"


def test_an_unknown_number_without_a_known_operator_uses_the_configured_assignee(world, settings):
    response = _post(_payload(operator="999"))
    assert response.status_code == 422 and response.json()["field"] == "operator"
    assert Deal.objects.count() == 0 and CallEvent.objects.count() == 0  # nothing half-written
    settings.VORONKA_TELEPHONY_ASSIGNEE = "lead"
    response = _post(_payload(operator="999"))
    assert response.status_code == 201
    assert Deal.objects.get().owner == world.lead


def test_the_token_is_checked_and_rotation_keeps_the_old_one_until_removed(world, settings):
    assert _post(_payload(), url="/integrations/telephony/wrong/").status_code == 404
    assert _post(_payload(id="old"), url="/integrations/telephony/old_" + "y" * 40 + "/").status_code == 201
    settings.VORONKA_TELEPHONY_TOKENS = [TOKEN]
    assert _post(_payload(id="old2"), url="/integrations/telephony/old_" + "y" * 40 + "/").status_code == 404
    settings.VORONKA_TELEPHONY_TOKENS = []
    assert _post(_payload(id="x")).status_code == 404
    assert HttpClient().get(URL).status_code in (404, 405)


@pytest.mark.parametrize(("change", "field"), [
    ({"id": None}, "id"),
    ({"id": {"a": 1}}, "id"),
    ({"id": "x" * 101}, "id"),
    ({"direction": "sideways"}, "direction"),
    ({"direction": None}, "direction"),
    ({"status": "busy"}, "status"),
    ({"caller": "not a phone"}, "caller"),
    ({"caller": None}, "caller"),
    ({"caller": 12}, "caller"),
    ({"direction": "out", "callee": "abc"}, "callee"),
    ({"started_at": "yesterday"}, "started_at"),
    ({"started_at": "2026-13-45T99:00:00"}, "started_at"),
    ({"started_at": "2999-01-01T00:00:00Z"}, "started_at"),
    ({"duration": -1}, "duration"),
    ({"duration": 1.5}, "duration"),
    ({"duration": True}, "duration"),
    ({"duration": 10**9}, "duration"),
    ({"recording_url": "javascript:alert(1)"}, "recording_url"),
    ({"recording_url": "ftp://pbx.example/1.mp3"}, "recording_url"),
    ({"recording_url": ["https://x"]}, "recording_url"),
    ({"operator": "bad@"}, "operator"),
])
def test_every_bad_field_is_a_4xx_problem_naming_it(world, change, field):
    response = _post(_payload(**{k: v for k, v in change.items() if v is not None},
                              **{k: "" for k, v in change.items() if v is None}))
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["field"] == field
    assert CallEvent.objects.count() == 0 and Activity.objects.count() == 0


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b"null", b"{" * 70000])
def test_a_body_that_is_not_a_json_object_is_a_400(world, body):
    response = HttpClient().post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
