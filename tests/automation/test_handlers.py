"""Domain events become notifications: hand-off, reassignment, a task from someone else, a new lead, a team's
lost deal. Through the real services, outbox and dispatch; the email through a real local SMTP server."""

from __future__ import annotations

import json
import re
from email.header import decode_header, make_header

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client as HttpClient

from tests.factories import make_deal, make_user, task_spec
from voronka.accounts.models import Role
from voronka.activities.services import create_task
from voronka.automation.models import Delivery, EventType, Notification
from voronka.automation.services import notify, set_preferences
from voronka.deals.services import lose_deal, move_deal, reassign_deal
from voronka.events.dispatch import dispatch_event
from voronka.events.models import OutboxEvent
from voronka.integrations.leadforms import save_lead_form
from voronka.integrations.services import create_subscription, pause_subscription
from voronka.pipelines.services import update_stage

pytestmark = pytest.mark.django_db


def _of(user, event_type=None):
    qs = Notification.objects.filter(recipient=user)
    return list(qs.filter(event_type=event_type) if event_type else qs)


@pytest.fixture
def deal(world, commit):
    with commit():
        return make_deal(world.owner, world.pipeline)


@pytest.fixture
def handoff_stage(world):
    stage = world.pipeline.stages.get(slug="qualified")
    return update_stage(actor=world.admin, stage=stage, owner_user=world.teammate)


def test_a_conveyor_hand_off_notifies_the_new_owner_in_app_and_by_real_email(world, deal, handoff_stage, commit,
                                                                             smtp_server):
    world.teammate.email = "teammate@example.ru"
    world.teammate.save(update_fields=["email"])
    with commit():
        move_deal(actor=world.owner, deal=deal, stage=handoff_stage)
    [note] = _of(world.teammate)
    assert note.event_type == EventType.DEAL_HANDED and note.in_app and note.read_at is None
    assert note.target_type == "deals.Deal" and note.target_id == str(deal.pk)
    assert note.link_url == f"/deals/{deal.pk}/"
    assert deal.title in note.title
    [message] = smtp_server.wait(1)
    assert message["To"] == "teammate@example.ru"
    assert deal.title in str(make_header(decode_header(message["Subject"])))
    assert f"/deals/{deal.pk}/" in message.get_payload(decode=True).decode()
    note.refresh_from_db()
    assert note.emailed_at is not None
    assert _of(world.owner) == []  # the mover handed it off himself: nothing for him


def test_a_failing_mail_server_neither_loses_the_notification_nor_the_event(world, deal, handoff_stage, commit,
                                                                            settings):
    world.teammate.email = "teammate@example.ru"
    world.teammate.save(update_fields=["email"])
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens
    with commit():
        move_deal(actor=world.owner, deal=deal, stage=handoff_stage)
    [note] = _of(world.teammate)
    assert note.emailed_at is None
    event = OutboxEvent.objects.get(verb="deal.moved", target_id=str(deal.pk))
    assert event.dispatched_at is not None and event.last_error == ""


def test_an_event_dispatched_again_notifies_once(world, deal, handoff_stage, commit):
    with commit():
        move_deal(actor=world.owner, deal=deal, stage=handoff_stage)
    event = OutboxEvent.objects.get(verb="deal.moved", target_id=str(deal.pk))
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)  # as if the mark had been lost
    with commit():
        assert dispatch_event(event.pk) is True
    assert len(_of(world.teammate)) == 1


def test_reassignment_by_someone_else_notifies_the_new_owner_not_a_self_assignment(world, deal, commit):
    with commit():
        reassign_deal(actor=world.lead, deal=deal, owner=world.teammate)
    assert [n.event_type for n in _of(world.teammate)] == [EventType.DEAL_HANDED]
    with commit():
        reassign_deal(actor=world.lead, deal=deal, owner=world.lead)
    assert _of(world.lead) == []


def test_a_task_from_someone_else_notifies_the_assignee_his_own_does_not(world, deal, commit):
    with commit():
        create_task(actor=world.lead, deal=deal, **task_spec(title="Перезвонить", assignee=world.owner))
        create_task(actor=world.owner, deal=deal, **task_spec(title="Своя задача"))
    [note] = _of(world.owner)
    assert note.event_type == EventType.TASK_ASSIGNED and "Перезвонить" in note.title
    assert note.link_url == f"/deals/{deal.pk}/"


def test_a_lost_deal_tells_the_team_lead_with_the_reason(world, deal, commit):
    with commit():
        lose_deal(actor=world.owner, deal=deal, reason=world.reason, comment="Бюджет срезали")
    [note] = _of(world.lead)
    assert note.event_type == EventType.DEAL_LOST
    assert "Нет денег" in note.body and "Бюджет срезали" in note.body
    assert _of(world.outsider) == [] and _of(world.owner) == []


def test_a_web_form_lead_notifies_its_assignee(world, commit):
    cache.clear()
    save_lead_form(actor=world.admin, slug="site", title="Заявка", pipeline=world.pipeline, assign_mode="fixed",
                   assignee=world.owner, source=world.source)
    http = HttpClient()
    html = http.get("/forms/site/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    data = signing.loads(token, salt="voronka.integrations.form")
    data["t"] -= 10
    aged = signing.dumps(data, salt="voronka.integrations.form", compress=True)
    with commit():
        response = http.post("/forms/site/", {"form_token": aged, "website": "", "name": "Ирина",
                                              "phone": "+7 916 123-45-67"})
    assert response.status_code in (200, 302)
    kinds = sorted(n.event_type for n in _of(world.owner))
    assert EventType.NEW_LEAD in kinds
    cache.clear()


def test_the_preference_decides_the_channel(world, deal, handoff_stage, commit, smtp_server):
    world.teammate.email = "teammate@example.ru"
    world.teammate.save(update_fields=["email"])
    set_preferences(actor=world.teammate, values={EventType.DEAL_HANDED: Delivery.EMAIL})
    with commit():
        move_deal(actor=world.owner, deal=deal, stage=handoff_stage)
    [note] = _of(world.teammate)
    assert note.in_app is False  # not on the bell, but recorded: told once
    assert len(smtp_server.wait(1)) == 1


def test_nobody_is_notified_about_what_he_may_not_see(world, deal):
    made = notify(recipient=world.outsider, event_type=EventType.DEAL_ROTTING, dedupe_key="x", title="t",
                  target=deal)
    assert made is None and _of(world.outsider) == []
    assert notify(recipient=world.owner, event_type=EventType.DEAL_ROTTING, dedupe_key="x", title="t",
                  target=deal) is not None
    assert notify(recipient=world.owner, event_type=EventType.DEAL_ROTTING, dedupe_key="x", title="t",
                  target=deal) is None  # the same occurrence
    assert notify(recipient=world.system, event_type=EventType.DEAL_ROTTING, dedupe_key="y", title="t") is None


def test_a_call_from_an_unknown_number_notifies_the_new_leads_owner_once(world, settings, commit):
    token = "tel_" + "z" * 40
    settings.VORONKA_TELEPHONY_TOKENS = [token]
    settings.VORONKA_TELEPHONY_ASSIGNEE = ""
    settings.VORONKA_TELEPHONY_EXTENSIONS = "101=owner"
    payload = {"id": "evt-9", "direction": "in", "status": "missed", "caller": "8 (999) 000-11-22",
               "callee": "+74950000000", "started_at": "2026-12-01T14:05:00+03:00", "duration": 0,
               "operator": "101"}
    http = HttpClient()
    for _ in range(2):  # the provider repeats its event: nothing new
        with commit():
            response = http.post(f"/integrations/telephony/{token}/", json.dumps(payload),
                                 content_type="application/json")
        assert response.status_code in (200, 201), response.content
    leads = _of(world.owner, EventType.NEW_LEAD)
    assert len(leads) == 1 and leads[0].link_url == f"/deals/{response.json()['deal']}/"


def test_the_notification_is_written_in_the_recipients_language(world, deal, commit):
    world.teammate.language = "ru"
    world.teammate.save(update_fields=["language"])
    world.owner.language = "en"
    world.owner.save(update_fields=["language"])
    with commit():
        reassign_deal(actor=world.lead, deal=deal, owner=world.teammate)
        create_task(actor=world.lead, deal=deal, **task_spec(title="Call", assignee=world.owner))
    assert _of(world.teammate)[0].title.startswith("Вам передана сделка")
    assert _of(world.owner)[0].title.startswith("Task for you")


def test_a_paused_webhook_tells_the_administrators_but_not_the_one_who_paused_it(world, commit):
    other_admin = make_user("admin2", role=Role.ADMIN)
    subscription = create_subscription(actor=world.admin, name="ERP", target_url="https://erp.example/hook",
                                       event_types=["deal.created"])
    with commit():
        pause_subscription(actor=world.admin, subscription=subscription, reason="Обслуживание")
    [note] = _of(other_admin)
    assert note.event_type == EventType.WEBHOOK_PAUSED and "Обслуживание" in note.body
    assert note.link_url == f"/settings/webhooks/{subscription.pk}/"
    assert _of(world.admin) == [] and _of(world.owner) == [] and _of(world.head) == []
