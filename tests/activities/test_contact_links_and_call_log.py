"""Calls happen where the phone is: tel:/mailto: links on the daily screens; a call task logs the call."""

from __future__ import annotations

import pytest

from tests.factories import make_client, make_deal, task_spec
from voronka.activities.models import Activity, ActivityKind, Task
from voronka.activities.services import complete_task, create_task
from voronka.clients.services import add_contact
from voronka.core.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(world):
    client = make_client(world.owner, phone="+79161234567", email="info@romashka.ru")
    return make_deal(world.owner, world.pipeline, client=client, first_task=task_spec(0, title="Позвонить"))


def test_completing_a_call_can_log_the_call(world, deal):
    task = Task.objects.get(deal=deal)
    create_task(actor=world.owner, deal=deal, title="Ещё", kind="call", due_date=task.due_date)
    complete_task(actor=world.owner, task=task, outcome="result", comment="Договорились о демо", log_call=True)
    call = Activity.objects.get(deal=deal, kind=ActivityKind.CALL)
    assert call.body == "Договорились о демо" and call.author == world.owner and call.data["task"] == task.pk


def test_without_the_box_no_call_is_logged(world, deal):
    task = Task.objects.get(deal=deal)
    complete_task(actor=world.owner, task=task, outcome="postpone", comment="Перезвонить",
                  postpone_to=task.due_date)
    assert not Activity.objects.filter(deal=deal, kind=ActivityKind.CALL).exists()


def test_a_meeting_task_cannot_log_a_call(world, deal):
    task = create_task(actor=world.owner, deal=deal, title="Встреча", kind="meeting", due_date=deal.tasks.first().due_date)
    with pytest.raises(DomainError) as err:
        complete_task(actor=world.owner, task=task, outcome="result", comment="Была", log_call=True)
    assert err.value.field == "log_call"
    task.refresh_from_db()
    assert task.status == "open"


def test_dialog_logs_the_call_when_ticked(client, world, deal):
    task = Task.objects.get(deal=deal)
    client.force_login(world.owner)
    html = client.get(f"/tasks/{task.pk}/complete/", HTTP_HX_REQUEST="true").content.decode()
    assert 'href="tel:+79161234567"' in html and 'href="mailto:info@romashka.ru"' in html
    assert 'name="log_call"' in html
    client.post(f"/tasks/{task.pk}/complete/", {"outcome": "postpone", "comment": "Занят", "log_call": "on",
                                                 "postpone_to": task.due_date.isoformat()})
    assert Activity.objects.filter(deal=deal, kind=ActivityKind.CALL, body="Занят").count() == 1


def test_my_day_rows_have_tel_and_mailto(client, world, deal):
    client.force_login(world.owner)
    html = client.get("/my-day/").content.decode()
    assert 'href="tel:+79161234567"' in html and 'href="mailto:info@romashka.ru"' in html


def test_the_deal_contact_wins_over_the_client_phone(client, world, deal):
    contact = add_contact(actor=world.owner, client=deal.client, name="Анна Петрова", phone="+79035550000",
                             email="anna@romashka.ru", position="Директор")
    deal.contact = contact
    deal.save(update_fields=["contact"])
    client.force_login(world.owner)
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert 'data-testid="deal-contact"' in page and "Анна Петрова" in page and "Директор" in page
    assert 'href="tel:+79035550000"' in page and 'href="mailto:anna@romashka.ru"' in page
    day = client.get("/my-day/").content.decode()
    assert 'href="tel:+79035550000"' in day
    listing = client.get("/deals/").content.decode()
    assert 'href="tel:+79035550000"' in listing


def test_board_card_has_the_phone_and_the_next_task_kind(client, world, deal):
    client.force_login(world.owner)
    html = client.get(f"/pipelines/{world.pipeline.slug}/board/").content.decode()
    assert 'class="kcard-tel" href="tel:+79161234567"' in html
    assert 'data-next-kind="call"' in html
    assert "is-own-board" in html  # a manager's own board hides the owner names


def test_lead_board_shows_owner_names(client, world, deal):
    client.force_login(world.lead)
    html = client.get(f"/pipelines/{world.pipeline.slug}/board/").content.decode()
    assert "is-own-board" not in html and "kcard-owner" in html
