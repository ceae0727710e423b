"""A worker process killed with SIGKILL while its request is out: the row keeps its claim until the lease
ends, then the tick pass sends it again with the same event id (PostgreSQL: the worker is a real second
process on the same database)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import build_world
from voronka.events.models import OutboxEvent
from voronka.integrations.delivery import deliver_due
from voronka.integrations.models import DeliveryStatus, WebhookDelivery
from voronka.integrations.services import create_subscription

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="needs a database a second process can share (PostgreSQL)")


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_request_loses_nothing(receiver):
    world = build_world()
    subscription = create_subscription(actor=world.admin, name="R", target_url=receiver.url, event_types=["*"])
    event = OutboxEvent.objects.create(verb="deal.won", target_type="deals.Deal", target_id="1")
    delivery = WebhookDelivery.objects.create(subscription=subscription, event_id=event.pk, event_type="deal.won",
                                              payload={"id": event.pk, "type": "deal.won"},
                                              next_attempt_at=timezone.now())
    receiver.answers = ["sleep", 200]
    receiver.sleep_seconds = 20  # the first request hangs: the worker is killed while it waits
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "voronka.settings_test", "DATABASE_URL": _database_url(),
           "VORONKA_WEBHOOK_TIMEOUT_SECONDS": "60"}
    code = ("import django; django.setup(); from voronka.integrations.delivery import deliver; "
            f"deliver({delivery.pk})")
    worker = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 30
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert receiver.requests, "the worker never sent its request"
    finally:
        worker.kill()
        worker.wait(timeout=10)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == (DeliveryStatus.PENDING, 1, None)
    assert delivery.claimed_until is not None
    assert deliver_due(now=timezone.now()) == 0  # the dead worker's lease still holds
    assert deliver_due(now=timezone.now() + dt.timedelta(minutes=3)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert [r.headers["x-voronka-event-id"] for r in receiver.requests] == [str(event.pk)] * 2
