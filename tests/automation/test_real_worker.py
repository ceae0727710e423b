"""Events through real ``voronka worker`` processes (not the immediate backend): a conveyor hand-off arrives in
the app and by email (real SMTP); two workers, each running the scheduler, send a daily email once."""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from tests.automation import processes
from tests.factories import build_world, make_deal
from voronka.automation.models import Delivery, EventType, JobRun, Notification, WorkerHeartbeat
from voronka.automation.services import set_preferences
from voronka.deals.services import move_deal
from voronka.events.models import OutboxEvent
from voronka.pipelines.services import update_stage

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _mail_env(smtp_server) -> dict[str, str]:
    return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_server.port), "DEFAULT_FROM_EMAIL": "crm@example.ru",
            "VORONKA_BASE_URL": "https://crm.example.ru"}


def test_a_hand_off_notice_arrives_in_app_and_by_email_through_the_real_worker(shared_db, tmp_path, settings,
                                                                               smtp_server):
    settings.TASKS = DB_QUEUE
    world = build_world()
    world.teammate.email = "teammate@example.ru"
    world.teammate.save(update_fields=["email"])
    deal = make_deal(world.owner, world.pipeline)
    stage = update_stage(actor=world.admin, stage=world.pipeline.stages.get(slug="qualified"),
                         owner_user=world.teammate)
    move_deal(actor=world.owner, deal=deal, stage=stage)  # committed: the dispatch task waits in the queue
    event = OutboxEvent.objects.get(verb="deal.moved", target_id=str(deal.pk))
    assert event.dispatched_at is None and not Notification.objects.exists()
    worker = processes.start(["worker", "--interval", "0.2"], tmp_path, **_mail_env(smtp_server))
    try:
        messages = smtp_server.wait(1, timeout=60)
    finally:
        processes.stop(worker)
    [message] = messages
    assert message["To"] == "teammate@example.ru" and message["From"] == "crm@example.ru"
    assert deal.title in str(make_header(decode_header(message["Subject"])))
    assert f"https://crm.example.ru/deals/{deal.pk}/" in message.get_payload(decode=True).decode()
    [note] = Notification.objects.filter(recipient=world.teammate, event_type=EventType.DEAL_HANDED)
    assert note.in_app and note.read_at is None and note.emailed_at is not None and not note.email_due
    event.refresh_from_db()
    assert event.dispatched_at is not None


def test_two_workers_running_the_scheduler_send_a_daily_email_once(shared_db, tmp_path, smtp_server):
    world = build_world()
    world.owner.email = "owner@example.ru"
    world.owner.save(update_fields=["email"])
    set_preferences(actor=world.owner, values={EventType.DAILY_DIGEST: Delivery.EMAIL})
    local = timezone.localtime(timezone.now())
    due = (local - dt.timedelta(minutes=1)).strftime("%H:%M")  # the digest's time has just come
    extra = {**_mail_env(smtp_server), "VORONKA_DIGEST_TIME": due}
    workers = [processes.start(["worker", "--interval", "0.2"], tmp_path, **extra) for _ in range(2)]
    try:
        assert processes.wait_for(lambda: WorkerHeartbeat.objects.filter(stopped_at=None).count() == 2, timeout=60)
        first = smtp_server.wait(1, timeout=60)
        assert len(first) == 1
        # both schedulers keep passing (every second); give them time to try the slot again
        processes.wait_for(lambda: False, timeout=5)
        assert len(smtp_server.wait(2, timeout=1)) == 1
    finally:
        for worker in workers:
            processes.stop(worker)
    assert first[0]["To"] == "owner@example.ru"
    assert JobRun.objects.filter(job="automation.daily_digest").count() == 1
    assert Notification.objects.filter(recipient=world.owner, event_type=EventType.DAILY_DIGEST).count() == 1
    # every minutely job ran once per slot, whichever worker won it
    runs = list(JobRun.objects.filter(job="events.retry").values_list("slot", flat=True))
    assert len(runs) == len(set(runs)) >= 1


@pytest.mark.parametrize("count", [2])
def test_two_ticks_at_once_for_the_same_moment_send_once(shared_db, tmp_path, smtp_server, count):
    world = build_world()
    world.owner.email = "owner@example.ru"
    world.owner.save(update_fields=["email"])
    set_preferences(actor=world.owner, values={EventType.DAILY_DIGEST: Delivery.EMAIL})
    morning = timezone.localtime(timezone.now()).replace(hour=8, minute=1).isoformat()
    ticks = [processes.start(["tick", "--now", morning], tmp_path, **_mail_env(smtp_server)) for _ in range(count)]
    for tick in ticks:
        assert tick.wait(timeout=90) == 0
    assert len(smtp_server.wait(2, timeout=2)) == 1
    assert JobRun.objects.filter(job="automation.daily_digest").count() == 1
