"""Webhooks end to end against a real local HTTP receiver: outbox -> delivery rows -> signed POST."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from tests.concurrency import race
from tests.dbstate import stage_of
from tests.factories import make_deal, make_user
from voronka.audit.models import AuditEntry
from voronka.cli import main
from voronka.core.errors import DomainError, Forbidden
from voronka.deals.services import move_deal
from voronka.events.models import OutboxEvent
from voronka.integrations.delivery import claim, deliver_due
from voronka.integrations.models import DeliveryStatus, WebhookDelivery
from voronka.integrations.services import (
    create_subscription,
    pause_subscription,
    replay_delivery,
    resume_subscription,
    send_test_event,
)


def _later(minutes: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def _deal(world, capture):
    with capture(execute=True):
        return make_deal(world.owner, world.pipeline)


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (docs/integrations.md)."""
    expected = hmac.new(secret.encode(), headers["x-voronka-timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["x-voronka-signature"], f"sha256={expected}")


def test_a_new_deal_is_posted_signed_with_the_event_id(world, receiver, subscription,
                                                       django_capture_on_commit_callbacks):
    deal = _deal(world, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    event = OutboxEvent.objects.get(verb="deal.created", target_id=str(deal.pk))
    assert _verify(subscription.secret, got.headers, got.body)
    assert not _verify("whsec_wrong", got.headers, got.body)
    assert got.headers["x-voronka-event"] == "deal.created"
    assert got.headers["x-voronka-event-id"] == str(event.pk)
    assert got.headers["content-type"].startswith("application/json")
    assert abs(int(got.headers["x-voronka-timestamp"]) - timezone.now().timestamp()) < 60
    body = got.json
    assert body["id"] == event.pk and body["type"] == "deal.created"
    assert body["object"] == {"type": "deal", "id": deal.pk}
    assert body["actor"]["username"] == "owner"
    assert dt.datetime.fromisoformat(body["created_at"]) == event.created_at
    assert {"changes", "data"} <= set(body)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    assert delivery.last_response_ms is not None and delivery.delivered_at is not None
    assert got.headers["x-voronka-delivery"] == str(delivery.pk)


def test_a_receiver_that_fails_then_recovers_gets_the_event_on_retry(world, receiver, subscription,
                                                                    django_capture_on_commit_callbacks):
    receiver.answers = [500, 200]
    _deal(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 1, 500)
    assert delivery.last_error == "HTTP 500"
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert dt.timedelta(seconds=59) <= wait <= dt.timedelta(seconds=61)  # the first backoff: one minute
    assert deliver_due(now=_later(0.5)) == 0  # not due yet
    assert deliver_due(now=_later(2)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 2, 200)
    assert len(receiver.requests) == 2
    assert receiver.requests[0].json["id"] == receiver.requests[1].json["id"]  # same event id: dedupe
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


@override_settings(VORONKA_WEBHOOK_TIMEOUT_SECONDS=0.5)
def test_a_receiver_that_times_out_is_retried(world, receiver, subscription, django_capture_on_commit_callbacks):
    receiver.answers = ["sleep", 200]
    receiver.sleep_seconds = 1.5
    _deal(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code is None
    assert delivery.last_error.startswith("timeout")
    assert deliver_due(now=_later(2)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


@override_settings(VORONKA_WEBHOOK_PAUSE_AFTER=3, VORONKA_WEBHOOK_MAX_ATTEMPTS=5)
def test_repeated_failures_pause_the_subscription_with_an_audit_entry(world, receiver, subscription,
                                                                     django_capture_on_commit_callbacks):
    receiver.answers = [503]
    _deal(world, django_capture_on_commit_callbacks)
    assert deliver_due(now=_later(2)) == 1
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 2
    assert deliver_due(now=_later(10)) == 1
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.paused_at is not None
    assert "503" in subscription.pause_reason
    assert AuditEntry.objects.filter(action="webhook.paused", object_id=str(subscription.pk)).exists()
    # paused: nothing more is sent, new events make no deliveries
    assert deliver_due(now=_later(600)) == 0
    _deal(world, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1
    assert len(receiver.requests) == 3
    # resumed: the waiting delivery goes out again
    receiver.answers = [200]
    with django_capture_on_commit_callbacks(execute=True):
        resume_subscription(actor=world.admin, subscription=subscription)
    assert WebhookDelivery.objects.get(subscription=subscription).status == DeliveryStatus.DELIVERED


@override_settings(VORONKA_WEBHOOK_MAX_ATTEMPTS=2, VORONKA_WEBHOOK_PAUSE_AFTER=0)
def test_a_delivery_is_dead_after_the_last_attempt(world, receiver, subscription,
                                                   django_capture_on_commit_callbacks):
    receiver.answers = [500]
    _deal(world, django_capture_on_commit_callbacks)
    deliver_due(now=_later(2))
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.DEAD, 2, None)
    assert deliver_due(now=_later(600)) == 0
    assert len(receiver.requests) == 2


def test_a_delivery_whose_task_never_ran_is_sent_by_voronka_tick(world, receiver, subscription,
                                                                 django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=False):  # committed; the worker died before its tasks ran
        make_deal(world.owner, world.pipeline)
    assert receiver.requests == []
    later = _later(5).isoformat()
    assert main(["tick", "--now", later]) == 0
    assert main(["tick", "--now", later]) == 0  # the same moment again: no second effect
    assert len(receiver.requests) == 1
    assert "webhook deliveries attempted: 1" in capsys.readouterr().out
    assert WebhookDelivery.objects.get(subscription=subscription).status == DeliveryStatus.DELIVERED


def test_a_delivery_claimed_by_a_worker_that_died_is_sent_after_its_lease(world, receiver, subscription,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        make_deal(world.owner, world.pipeline)
    deliver_due(now=timezone.now())  # nothing yet: the outbox row is still undispatched
    main(["tick", "--now", _later(0).isoformat()])  # too early for the outbox retry
    from voronka.events.dispatch import dispatch_pending
    dispatch_pending(now=_later(2))
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    claimed = claim(delivery.pk, now=timezone.now())  # the worker takes it... and dies before sending
    assert claimed is not None and claimed.attempts == 1
    assert claim(delivery.pk, now=timezone.now()) is None  # no second worker while the lease holds
    assert deliver_due(now=_later(0.5)) == 0
    assert receiver.requests == []
    assert deliver_due(now=_later(3)) == 1  # the lease expired: sent
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(receiver.requests) == 1


def test_a_rolled_back_write_sends_nothing(world, receiver, subscription, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), \
            transaction.atomic():
        make_deal(world.owner, world.pipeline)
        raise RuntimeError("the caller's transaction fails")
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert deliver_due(now=_later(60)) == 0
    assert receiver.requests == []


def test_only_the_chosen_verbs_are_sent(world, receiver, django_capture_on_commit_callbacks):
    moves = create_subscription(actor=world.admin, name="Moves", target_url=receiver.url + "/moves",
                                event_types=["deal.moved"])
    everything = create_subscription(actor=world.admin, name="All", target_url=receiver.url + "/all",
                                     event_types=["*"])
    deal = _deal(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "qualified"))
        make_user("newcomer")  # not an event
        pause_subscription(actor=world.admin, subscription=moves)  # webhook.* events are never sent
        resume_subscription(actor=world.admin, subscription=moves)
    by_path = {}
    for got in receiver.requests:
        by_path.setdefault(got.path, []).append(got.json["type"])
    assert by_path["/hook/moves"] == ["deal.moved"]
    assert sorted(by_path["/hook/all"]) == sorted(["client.created", "deal.created", "deal.moved"])
    assert WebhookDelivery.objects.filter(subscription=everything).count() == 3


def test_replay_sends_the_same_event_again(world, receiver, subscription, django_capture_on_commit_callbacks):
    _deal(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    with django_capture_on_commit_callbacks(execute=True):
        replay_delivery(actor=world.admin, delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert [r.json["id"] for r in receiver.requests] == [delivery.event_id] * 2
    assert AuditEntry.objects.filter(action="webhook.replayed").count() == 1
    with pytest.raises(Forbidden):
        replay_delivery(actor=world.owner, delivery=delivery)


def test_the_test_event_reaches_the_receiver(world, receiver, subscription, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = send_test_event(actor=world.admin, subscription=subscription)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert receiver.requests[0].json["type"] == "webhook.test"
    assert _verify(subscription.secret, receiver.requests[0].headers, receiver.requests[0].body)


@pytest.mark.parametrize(("fields", "field"), [
    ({"target_url": "ftp://example.com/x"}, "target_url"),
    ({"target_url": "javascript:alert(1)"}, "target_url"),
    ({"target_url": "http://"}, "target_url"),
    ({"event_types": ["deal.exploded"]}, "event_types"),
    ({"event_types": ["user.password_reset"]}, "event_types"),
    ({"event_types": []}, "event_types"),
    ({"event_types": "deal.created"}, "event_types"),
    ({"name": "  "}, "name"),
])
def test_bad_values_are_refused_on_their_field(world, fields, field):
    values = {"name": "X", "target_url": "https://example.com/hook", "event_types": ["deal.won"], **fields}
    with pytest.raises(DomainError) as info:
        create_subscription(actor=world.admin, **values)
    assert info.value.field == field


@pytest.mark.parametrize("who", ["owner", "lead", "head", "analyst"])
def test_only_admins_manage_webhooks(world, who):
    with pytest.raises(Forbidden):
        create_subscription(actor=getattr(world, who), name="X", target_url="https://example.com/h",
                            event_types=["*"])


def test_the_secret_is_per_subscription_and_random(world):
    a, b = (create_subscription(actor=world.admin, name=n, target_url="https://example.com/h", event_types=["*"])
            for n in "ab")
    assert a.secret != b.secret and a.secret.startswith("whsec_") and len(a.secret) > 40


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_one_row(receiver):
    from tests.factories import build_world

    world = build_world()
    sub = create_subscription(actor=world.admin, name="R", target_url=receiver.url, event_types=["*"])
    event = OutboxEvent.objects.create(verb="deal.won", target_type="deals.Deal", target_id="1")
    delivery = WebhookDelivery.objects.create(subscription=sub, event_id=event.pk, event_type="deal.won",
                                              payload={}, next_attempt_at=timezone.now())
    now = timezone.now()
    results = race(*(lambda: claim(delivery.pk, now=now) for _ in range(4)))
    assert sum(1 for r in results if isinstance(r, WebhookDelivery)) == 1, results
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1
    assert connection.vendor == "postgresql"
    json.dumps([str(r) for r in results])
