"""The monitors and notices added to the scheduler: tasks due soon, hand-offs nobody took up, the daily emails
(real SMTP), the sales-dip notice of ``analytics.jobs`` and the retry of notification emails. Each notifies
once per occurrence, however many times its job runs."""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from tests.factories import make_deal, task_spec
from voronka.activities.models import Task, TaskStatus
from voronka.activities.services import complete_task, create_task
from voronka.analytics.jobs import last_weeks, notify_sales_dips
from voronka.automation.digests import daily_digests, morning_summaries
from voronka.automation.models import Delivery, EventType, Notification, NotificationPreference
from voronka.automation.monitors import handoffs_not_accepted, tasks_due_soon
from voronka.automation.services import notify, send_due_emails, set_preferences
from voronka.cli import main
from voronka.deals.models import Deal
from voronka.deals.services import move_deal
from voronka.pipelines.services import update_stage

pytestmark = pytest.mark.django_db


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _of(user, event_type):
    return list(Notification.objects.filter(recipient=user, event_type=event_type))


@pytest.fixture
def deal(world, commit):
    with commit():
        return make_deal(world.owner, world.pipeline)


# --- tasks due soon -------------------------------------------------------------------------------------------

def test_a_timed_task_is_reminded_once_within_the_minutes_before_it(world, deal, settings):
    settings.VORONKA_TASK_REMINDER_MINUTES = 15
    local = timezone.localtime(timezone.now()).replace(second=0, microsecond=0) + dt.timedelta(days=2)
    local = local.replace(hour=14, minute=0)
    task = create_task(actor=world.owner, deal=deal, **task_spec(title="Созвон", due_date=local.date(),
                                                                 due_time=dt.time(14, 0)))
    assert tasks_due_soon(now=local - dt.timedelta(minutes=16)) == 0  # too early
    assert tasks_due_soon(now=local - dt.timedelta(minutes=14)) == 1
    assert tasks_due_soon(now=local - dt.timedelta(minutes=5)) == 0  # the same due moment: told already
    assert tasks_due_soon(now=local + dt.timedelta(minutes=1)) == 0  # past: the overdue monitor's
    [note] = _of(world.owner, EventType.TASK_DUE_SOON)
    assert "Созвон" in note.title and "14:00" in note.body and note.target_id == str(task.pk)
    # moved to another time: a new occurrence
    Task.objects.filter(pk=task.pk).update(due_time=dt.time(16, 0))
    assert tasks_due_soon(now=local + dt.timedelta(hours=2) - dt.timedelta(minutes=10)) == 1
    # a done task is not reminded
    Task.objects.filter(pk=task.pk).update(due_time=dt.time(18, 0), status=TaskStatus.CANCELLED)
    assert tasks_due_soon(now=local + dt.timedelta(hours=4) - dt.timedelta(minutes=10)) == 0


def test_a_task_without_a_time_is_never_reminded(world, deal):
    tomorrow = timezone.localtime(timezone.now()) + dt.timedelta(days=1)
    assert Task.objects.get(deal=deal).due_time is None
    assert tasks_due_soon(now=tomorrow.replace(hour=0, minute=5)) == 0


# --- acceptance SLA of a conveyor hand-off ----------------------------------------------------------------------

@pytest.fixture
def handed(world, deal, commit):
    stage = update_stage(actor=world.admin, stage=world.pipeline.stages.get(slug="qualified"), owner_user=world.teammate)
    with commit():
        move_deal(actor=world.owner, deal=deal, stage=stage)
    deal.refresh_from_db()
    assert deal.owner == world.teammate
    return deal


def test_a_hand_off_nobody_acts_on_tells_the_team_lead_once(world, handed, settings):
    settings.VORONKA_HANDOFF_ACCEPT_MINUTES = 120
    now = timezone.now()
    assert handoffs_not_accepted(now=now + dt.timedelta(minutes=119)) == 0  # still within the time
    assert handoffs_not_accepted(now=now + dt.timedelta(minutes=121)) == 1
    assert handoffs_not_accepted(now=now + dt.timedelta(minutes=200)) == 0
    [note] = _of(world.lead, EventType.HANDOFF_NOT_ACCEPTED)
    assert handed.title in note.title and str(world.teammate) in note.body
    assert note.link_url == f"/deals/{handed.pk}/"
    assert _of(world.teammate, EventType.HANDOFF_NOT_ACCEPTED) == []


def test_a_completed_task_or_a_move_by_the_new_owner_is_acting_on_it(world, handed, settings, commit):
    settings.VORONKA_HANDOFF_ACCEPT_MINUTES = 1
    task = Task.objects.get(deal=handed, status=TaskStatus.OPEN)
    with commit():
        complete_task(actor=world.teammate, task=task, outcome="result", comment="Созвонились",
                      next_task=task_spec(days=3))
    assert handoffs_not_accepted(now=timezone.now() + dt.timedelta(minutes=5)) == 0
    assert _of(world.lead, EventType.HANDOFF_NOT_ACCEPTED) == []


def test_a_move_by_the_new_owner_counts_too(world, handed, settings, commit):
    settings.VORONKA_HANDOFF_ACCEPT_MINUTES = 1
    Deal.objects.filter(pk=handed.pk).update(amount=1000)
    handed.refresh_from_db()
    with commit():
        move_deal(actor=world.teammate, deal=handed, stage=world.pipeline.stages.get(slug="proposal"))
    assert handoffs_not_accepted(now=timezone.now() + dt.timedelta(minutes=5)) == 0


# --- daily emails (opt-in) ---------------------------------------------------------------------------------------

def test_the_daily_digest_is_opt_in_and_arrives_once_with_the_managers_day(world, deal, commit, smtp_server):
    world.owner.email = "owner@example.ru"
    world.owner.save(update_fields=["email"])
    late = create_task(actor=world.owner, deal=deal, **task_spec(days=-2, title="Просроченный звонок"))
    create_task(actor=world.owner, deal=deal, **task_spec(days=0, title="Звонок сегодня"))
    create_task(actor=world.teammate, deal=make_deal(world.teammate, world.pipeline),
                **task_spec(days=-1, title="Чужая задача"))
    # mid-morning of today, local time: "an hour later" must stay the same local day whenever the suite runs
    now = timezone.localtime(timezone.now()).replace(hour=10, minute=0, second=0, microsecond=0)
    assert daily_digests(now=now) == 0  # nobody asked for it
    set_preferences(actor=world.owner, values={EventType.DAILY_DIGEST: Delivery.EMAIL})
    with commit():
        assert daily_digests(now=now) == 1
    with commit():
        assert daily_digests(now=now + dt.timedelta(hours=1)) == 0  # one per day
    [message] = smtp_server.wait(1)
    assert message["To"] == "owner@example.ru"
    assert timezone.localdate().isoformat() in _subject(message)
    body = _body(message)
    assert "Просроченный звонок" in body and "Звонок сегодня" in body and "Чужая задача" not in body
    assert late.due_date.isoformat() in body
    [note] = _of(world.owner, EventType.DAILY_DIGEST)
    assert not note.in_app and note.emailed_at is not None


def test_the_morning_summary_counts_what_the_lead_sees(world, deal, commit, smtp_server):
    world.lead.email = "lead@example.ru"
    world.lead.save(update_fields=["email"])
    create_task(actor=world.owner, deal=deal, **task_spec(days=-2, title="Просрочено"))
    create_task(actor=world.outsider, deal=make_deal(world.outsider, world.pipeline), **task_spec(days=-3))
    set_preferences(actor=world.lead, values={EventType.MORNING_SUMMARY: Delivery.EMAIL})
    NotificationPreference.objects.create(user=world.owner, event_type=EventType.MORNING_SUMMARY,
                                          delivery=Delivery.EMAIL)  # chosen while he was a lead: not sent now
    with commit():
        assert morning_summaries(now=timezone.now()) == 1
    [message] = smtp_server.wait(1)
    assert message["To"] == "lead@example.ru"
    body = _body(message)
    expected = Task.objects.filter(status=TaskStatus.OPEN, due_date__lt=timezone.localdate(),
                                   assignee__team=world.team).count()
    assert expected == 1
    assert f"{expected}" in body.splitlines()[0] and str(world.owner) in body and str(world.outsider) not in body


def test_two_ticks_for_the_same_morning_send_the_digest_once(world, deal, smtp_server, commit):
    """The digest job runs daily at VORONKA_DIGEST_TIME (default 08:00)."""
    world.owner.email = "owner@example.ru"
    world.owner.save(update_fields=["email"])
    set_preferences(actor=world.owner, values={EventType.DAILY_DIGEST: Delivery.EMAIL})
    morning = timezone.localtime(timezone.now()).replace(hour=8, minute=3).isoformat()
    with commit():
        assert main(["tick", "--now", morning]) == 0
    with commit():
        assert main(["tick", "--now", morning]) == 0
    later = timezone.localtime(timezone.now()).replace(hour=9, minute=30).isoformat()
    with commit():
        assert main(["tick", "--now", later]) == 0  # the same day's slot: taken
    assert len(smtp_server.wait(2, timeout=2)) == 1


# --- email retry -----------------------------------------------------------------------------------------------

def test_an_email_the_mail_server_refused_is_sent_once_by_the_retry_job(world, handed, settings, smtp_server,
                                                                        commit):
    note = Notification.objects.get(recipient=world.teammate, event_type=EventType.DEAL_HANDED)
    assert note.emailed_at is None  # the teammate had no address when it was written
    assert not note.email_due
    world.lead.email = "lead@example.ru"
    world.lead.save(update_fields=["email"])
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = 1, 2  # the mail server is down
    with commit():
        fresh = notify(recipient=world.lead, event_type=EventType.DEAL_HANDED, title="Проверка", dedupe_key="t:1")
    fresh.refresh_from_db()
    assert fresh.email_due and fresh.emailed_at is None
    settings.EMAIL_PORT = smtp_server.port  # back
    later = timezone.now() + dt.timedelta(hours=3)
    assert send_due_emails(now=later) == 1
    assert send_due_emails(now=later + dt.timedelta(hours=1)) == 0
    assert [m["To"] for m in smtp_server.wait(1)] == ["lead@example.ru"]
    fresh.refresh_from_db()
    assert fresh.emailed_at is not None and not fresh.email_due and fresh.email_attempts == 2


# --- sales dips (analytics.jobs) --------------------------------------------------------------------------------

def test_a_sales_dip_tells_the_leads_and_heads_who_see_it_once(world, commit):
    today = timezone.localdate()
    before, last = last_weeks(today)
    week_before = dt.datetime.combine(before + dt.timedelta(days=1), dt.time(12), tzinfo=timezone.get_current_timezone())
    last_week = week_before + dt.timedelta(days=7)
    for _i in range(4):  # the owner: 4 new deals the week before, 1 last week: -75 %
        Deal.objects.filter(pk=make_deal(world.owner, world.pipeline).pk).update(created_at=week_before)
    Deal.objects.filter(pk=make_deal(world.owner, world.pipeline).pk).update(created_at=last_week)
    for _i in range(2):  # the outsider (another team): steady
        Deal.objects.filter(pk=make_deal(world.outsider, world.pipeline).pk).update(created_at=week_before)
        Deal.objects.filter(pk=make_deal(world.outsider, world.pipeline).pk).update(created_at=last_week)
    now = timezone.now()
    assert notify_sales_dips(now=now) == 2  # the lead of the owner's team and the head
    assert notify_sales_dips(now=now + dt.timedelta(hours=2)) == 0
    [lead_note] = _of(world.lead, EventType.SALES_DIP)
    [head_note] = _of(world.head, EventType.SALES_DIP)
    assert str(world.owner) in lead_note.title and "-75" in lead_note.body
    week = (last - dt.timedelta(days=6)).isoformat()
    assert lead_note.dedupe_key == head_note.dedupe_key == f"dip:{week}:new_deals:{world.owner.pk}"
    assert _of(world.owner, EventType.SALES_DIP) == [] and _of(world.outsider, EventType.SALES_DIP) == []


def test_the_morning_summary_is_offered_to_leads_only(world, client):
    from voronka.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        set_preferences(actor=world.owner, values={EventType.MORNING_SUMMARY: Delivery.EMAIL})
    assert refused.value.field == EventType.MORNING_SUMMARY
    set_preferences(actor=world.owner, values={EventType.MORNING_SUMMARY: Delivery.NONE})  # "no" is always fine
    client.force_login(world.owner)
    assert f"pref-{EventType.MORNING_SUMMARY}" not in client.get("/account/notifications/").content.decode()
    client.force_login(world.lead)
    assert f"pref-{EventType.MORNING_SUMMARY}" in client.get("/account/notifications/").content.decode()


@pytest.mark.parametrize(("event_type", "receivers", "others"), [
    (EventType.DEAL_LOST, ["lead"], ["owner", "head", "admin"]),
    (EventType.DEAL_NO_TASK, ["lead"], ["owner", "admin"]),
    (EventType.HANDOFF_NOT_ACCEPTED, ["lead"], ["owner", "head"]),
    (EventType.SALES_DIP, ["lead", "head"], ["owner", "admin"]),
    (EventType.WEBHOOK_PAUSED, ["admin"], ["owner", "lead", "head"]),
])
def test_notices_for_leads_heads_admins_are_offered_only_to_who_receives_them(world, client, event_type, receivers,
                                                                              others):
    from voronka.core.errors import DomainError

    for name in receivers:
        user = getattr(world, name)
        set_preferences(actor=user, values={event_type: Delivery.EMAIL})
        client.force_login(user)
        assert f"pref-{event_type}" in client.get("/account/notifications/").content.decode()
    for name in others:
        user = getattr(world, name)
        with pytest.raises(DomainError) as refused:
            set_preferences(actor=user, values={event_type: Delivery.BOTH})
        assert refused.value.field == event_type
        client.force_login(user)
        assert f"pref-{event_type}" not in client.get("/account/notifications/").content.decode()
    assert f"pref-{EventType.STAGE_ACTION}" in client.get("/account/notifications/").content.decode()
