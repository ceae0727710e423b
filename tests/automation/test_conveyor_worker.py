"""A stage handed to a team round-robin, through a real ``voronka worker`` process: the chosen member gets the
deal with its open tasks, the hand-off notice in the app and by email (real SMTP), and sees the client."""

from __future__ import annotations

from email.header import decode_header, make_header

from tests.automation import processes
from tests.factories import build_world, make_deal
from voronka.accounts.permissions import is_visible
from voronka.activities.models import Task
from voronka.automation.models import EventType, Notification
from voronka.deals.models import Deal
from voronka.deals.services import move_deal
from voronka.events.models import OutboxEvent
from voronka.pipelines.services import update_stage

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_round_robin_hand_off_reaches_the_next_member_through_the_real_worker(shared_db, tmp_path, settings,
                                                                                smtp_server):
    settings.TASKS = DB_QUEUE
    world = build_world()
    for user in (world.owner, world.teammate):
        user.email = f"{user.username}@example.ru"
        user.save(update_fields=["email"])
    stage = update_stage(actor=world.admin, stage=world.pipeline.stages.get(slug="qualified"),
                         owner_team=world.team, owner_mode="round_robin")
    deals = [make_deal(world.outsider, world.pipeline) for _ in range(2)]
    for deal in deals:
        move_deal(actor=world.outsider, deal=deal, stage=stage)  # committed: dispatch waits in the queue
    assert OutboxEvent.objects.filter(verb="deal.moved", dispatched_at=None).count() == 2
    assert not Notification.objects.exists()
    env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_server.port), "DEFAULT_FROM_EMAIL": "crm@example.ru",
           "VORONKA_BASE_URL": "https://crm.example.ru"}
    worker = processes.start(["worker", "--interval", "0.2"], tmp_path, **env)
    try:
        messages = smtp_server.wait(2, timeout=60)
    finally:
        processes.stop(worker)
    expected = {deals[0].pk: world.owner, deals[1].pk: world.teammate}  # team A in turn: owner, then teammate
    assert sorted(m["To"] for m in messages) == ["owner@example.ru", "teammate@example.ru"]
    for deal_id, member in expected.items():
        deal = Deal.objects.get(pk=deal_id)
        assert deal.owner_id == member.pk
        assert set(Task.objects.filter(deal=deal, status="open").values_list("assignee_id", flat=True)) == {member.pk}
        [note] = Notification.objects.filter(recipient=member, event_type=EventType.DEAL_HANDED)
        assert note.target_id == str(deal_id) and note.in_app and note.emailed_at is not None
        [message] = [m for m in messages if m["To"] == member.email]
        assert deal.title in str(make_header(decode_header(message["Subject"])))
        assert is_visible(member, deal.client)
