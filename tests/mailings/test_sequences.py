"""Reanimation and outreach sequences: enrolment rules, steps on schedule through ``voronka tick --now``, stops,
the tracked link and the reply that bring the client back, unsubscribe, statistics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_client, make_deal
from voronka.activities.models import Activity, Task
from voronka.catalog.models import LostReason
from voronka.cli import main
from voronka.clients.services import refuse_client
from voronka.deals.models import Deal
from voronka.deals.services import lose_deal, win_deal
from voronka.mailings.models import Enrolment, Send, Unsubscribe
from voronka.mailings.selectors import sequence_stats
from voronka.mailings.services import add_step, create_sequence, enrol_clients

pytestmark = pytest.mark.django_db


@pytest.fixture
def sequence(world, templates, return_pipeline):
    no_time = LostReason.objects.create(name="Нет времени")
    sequence = create_sequence(actor=world.admin, name="Реанимация", lost_reasons=[world.reason, no_time],
                               enrol_delay_days=2)
    add_step(actor=world.admin, sequence=sequence, template=templates[0], delay_days=0)
    add_step(actor=world.admin, sequence=sequence, template=templates[1], delay_days=7)
    return sequence


@pytest.fixture
def lost(world, sequence, commit):
    customer = make_client(world.owner, name="Гамма", email="gamma@example.com")
    deal = make_deal(world.owner, world.pipeline, client=customer)
    with commit():
        lose_deal(actor=world.owner, deal=deal, reason=world.reason)
    return deal


def _tick(days: float) -> None:
    assert main(["tick", "--now", (timezone.now() + dt.timedelta(days=days)).isoformat()]) == 0


def test_a_lost_deal_gets_its_steps_on_schedule_and_exactly_once(world, lost, sequence, smtp_server):
    enrolment = Enrolment.objects.get()
    assert enrolment.client == lost.client and enrolment.manager == world.owner and enrolment.status == "active"
    _tick(1)
    assert smtp_server.wait(1, timeout=0.5) == []  # the enrolment delay is two days
    _tick(2.01)
    _tick(2.01)  # the same moment again: nothing more
    [first] = smtp_server.wait(1)
    assert first["To"] == "gamma@example.com" and first["List-Unsubscribe"].strip().startswith("<http")
    body = first.get_payload(decode=True).decode()
    assert "Если интересно" in body and "/m/u/" in body  # the unsubscribe line is added to every automatic email
    _tick(8)
    assert len(smtp_server.wait(2, timeout=0.5)) == 1  # the second step is due seven days after the first
    _tick(9.02)
    _tick(9.5)
    messages = smtp_server.wait(2)
    assert len(messages) == 2 and "Подробнее" in messages[1].get_payload(decode=True).decode()
    _tick(60)
    assert len(smtp_server.wait(3, timeout=0.5)) == 2
    enrolment.refresh_from_db()
    assert enrolment.status == "finished"
    assert Send.objects.filter(enrolment=enrolment, sent_at__isnull=False).count() == 2
    assert Activity.objects.filter(client=lost.client, kind="email").count() == 2


def test_a_deal_lost_with_another_reason_is_not_enrolled(world, sequence, commit):
    other = LostReason.objects.create(name="Работает с конкурентом")
    deal = make_deal(world.owner, world.pipeline, client=make_client(world.owner, email="c@example.com"))
    with commit():
        lose_deal(actor=world.owner, deal=deal, reason=other)
    assert not Enrolment.objects.exists()


def test_a_client_put_on_the_refusal_list_enrols_when_the_sequence_asks(world, sequence, commit):
    sequence.on_refusal = True
    sequence.save()
    customer = make_client(world.owner, email="r@example.com", responsible=world.owner)
    with commit():
        refuse_client(actor=world.owner, client=customer, reason=world.reason)
    assert Enrolment.objects.get().client == customer


def test_a_click_on_the_tracked_link_brings_the_client_back_through_the_return_pipeline(
        world, lost, sequence, return_pipeline, client, commit):
    _tick(2.01)
    send = Send.objects.get()
    browser = Client(enforce_csrf_checks=True)  # anonymous, no sign-in, CSRF checked as in a real browser
    url = reverse("mailings:track", args=[send.token])
    with commit():
        page = browser.get(url)  # what a mail scanner does too: counts nothing
    assert page.status_code == 200 and 'data-testid="track-confirm"' in page.content.decode()
    send.refresh_from_db()
    assert send.clicked_at is None and not Deal.objects.filter(pipeline=return_pipeline).exists()
    assert Enrolment.objects.get().status == "active"
    assert not Activity.objects.filter(data__event="email.clicked").exists()
    with commit():
        response = browser.post(url, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert response.status_code == 200
    send.refresh_from_db()
    assert send.clicked_at is not None
    assert Activity.objects.filter(data__event="email.clicked").count() == 1
    back = Deal.objects.get(pipeline=return_pipeline)
    assert back.owner == world.owner and back.client == lost.client and back.status == "open"
    task = Task.objects.get(deal=back, status="open")
    assert task.assignee == world.owner
    enrolment = Enrolment.objects.get()
    assert enrolment.status == "returned" and enrolment.return_deal == back
    with commit():
        browser.post(url, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})  # a second press
    assert Deal.objects.filter(pipeline=return_pipeline).count() == 1  # no second deal, no second click entry
    assert Activity.objects.filter(data__event="email.clicked").count() == 1
    _tick(30)
    assert Send.objects.count() == 1  # the sequence sends nothing more
    assert client.get(reverse("mailings:track", args=["nope"])).status_code == 404
    assert client.post(reverse("mailings:track", args=["nope"])).status_code == 404


def test_a_reply_stops_the_sequence_and_returns_the_client(world, lost, sequence, return_pipeline, commit, settings):
    from voronka.integrations.connectors import mailbox_config
    from voronka.integrations.mailbox import _record

    _tick(2.01)
    with commit():
        _record(message_id="<r1@example.com>", address="gamma@example.com", name="Гамма", subject="Re: вернёмся",
                body="Давайте созвонимся", at=timezone.now(), config=mailbox_config())
    enrolment = Enrolment.objects.get()
    assert enrolment.status == "returned" and enrolment.stop_reason == "replied"
    assert Deal.objects.get(pipeline=return_pipeline).owner == world.owner
    _tick(30)
    assert Send.objects.count() == 1


def test_a_new_deal_for_the_client_stops_the_sequence(world, lost, sequence, commit):
    with commit():
        make_deal(world.owner, world.pipeline, client=lost.client)
    enrolment = Enrolment.objects.get()
    assert enrolment.status == "stopped" and enrolment.stop_reason == "new_deal"
    _tick(30)
    assert not Send.objects.exists()


def test_unsubscribe_asks_first_then_stops_everything_and_is_recorded_on_the_client(world, lost, sequence, client,
                                                                                    templates, commit):
    _tick(2.01)
    send = Send.objects.get()
    url = reverse("mailings:unsubscribe", args=[send.token])
    assert client.get(url).status_code == 200 and not Unsubscribe.objects.exists()  # a link scanner's GET
    with commit():
        assert client.post(url).status_code == 200  # the one-click POST of a mail client, no CSRF token
    assert Unsubscribe.objects.get().client == lost.client
    assert Enrolment.objects.get().stop_reason == "unsubscribed"
    assert Activity.objects.filter(client=lost.client, data__event="email.unsubscribed").exists()
    _tick(30)
    assert Send.objects.count() == 1
    # honoured by the next sequence too
    other = create_sequence(actor=world.admin, name="Другая", kind="outreach")
    add_step(actor=world.admin, sequence=other, template=templates[0], delay_days=0)
    assert enrol_clients(actor=world.owner, sequence=other, clients=[lost.client]) == 0


def test_a_manual_stop_from_the_client_page(world, lost, sequence, client):
    client.force_login(world.owner)
    response = client.post(reverse("mailings:client_sequences", args=[lost.client_id]), {"stop": "1"})
    assert response.status_code == 302
    assert Enrolment.objects.get().stop_reason == "manual"
    client.force_login(world.outsider)
    assert client.post(reverse("mailings:client_sequences", args=[lost.client_id]), {"stop": "1"}).status_code == 404


def test_outreach_enrols_chosen_clients_by_hand_from_the_client_page(world, templates, client, smtp_server):
    outreach = create_sequence(actor=world.admin, name="Холодные", kind="outreach")
    add_step(actor=world.admin, sequence=outreach, template=templates[1], delay_days=1)
    cold = make_client(world.owner, name="Дельта", email="delta@example.com", responsible=world.owner)
    client.force_login(world.owner)
    response = client.post(reverse("mailings:client_sequences", args=[cold.pk]), {"sequence": outreach.pk})
    assert response.status_code == 302
    _tick(1.01)
    [message] = smtp_server.wait(1)
    assert message["To"] == "delta@example.com"


def test_statistics_count_enrolled_sent_clicked_returned_won_and_revenue(world, lost, sequence, return_pipeline,
                                                                         client, commit, django_assert_max_num_queries):
    _tick(2.01)
    with commit():
        client.post(reverse("mailings:track", args=[Send.objects.get().token]))
    back = Deal.objects.get(pipeline=return_pipeline)
    with commit():
        win_deal(actor=world.owner, deal=back, values={"amount": "150000"})
    second = make_deal(world.owner, world.pipeline, client=make_client(world.owner, email="e@example.com"))
    with commit():
        lose_deal(actor=world.owner, deal=second, reason=world.reason)
    stats = sequence_stats(actor=world.admin)[sequence.pk]
    won = Deal.objects.filter(pk__in=Enrolment.objects.values("return_deal"), status="won")
    assert stats == {"enrolled": Enrolment.objects.count(), "sent": Send.objects.exclude(sent_at=None).count(),
                     "clicked": 1, "returned": 1, "won": won.count(),
                     "revenue": won.aggregate(s=Sum("amount"))["s"]}
    assert stats["enrolled"] == 2 and stats["revenue"] == 150000
    client.force_login(world.admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("settings:sequences")).content.decode()
    assert "Реанимация" in page and "150000" in page


def test_the_statistics_page_runs_a_fixed_number_of_queries(world, templates, client, django_assert_num_queries):
    client.force_login(world.admin)

    def make(n):
        for i in range(n):
            s = create_sequence(actor=world.admin, name=f"S{Enrolment.objects.count()}-{i}-{n}")
            add_step(actor=world.admin, sequence=s, template=templates[0], delay_days=0)
            enrol_clients(actor=world.admin, sequence=s, clients=[make_client(world.owner, email=f"{i}{n}@e.com")])

    make(3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("settings:sequences"))
    make(10)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("settings:sequences"))


