"""Two workers running the sequence engine for the same moment never send a step twice (PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from tests.concurrency import race
from tests.factories import make_client
from voronka.mailings.models import Send
from voronka.mailings.services import (
    add_step,
    create_sequence,
    create_template,
    deliver_pending,
    enrol_clients,
    send_due_steps,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL"),
]


def test_two_ticks_at_once_send_each_step_once(world, smtp_server):
    template = create_template(actor=world.admin, name="Outreach", subject="Hi {{ client.name }}", body="Hello")
    sequence = create_sequence(actor=world.admin, name="Cold", kind="outreach")
    add_step(actor=world.admin, sequence=sequence, template=template, delay_days=0)
    clients = [make_client(world.owner, email=f"c{i}@example.com", responsible=world.owner) for i in range(20)]
    assert enrol_clients(actor=world.owner, sequence=sequence, clients=clients) == 20
    now = timezone.now() + dt.timedelta(minutes=1)

    results = race(*[lambda: send_due_steps(now)] * 3)  # three workers, one moment
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(results) == 20
    assert Send.objects.count() == 20
    messages = smtp_server.wait(20)
    assert sorted(m["To"] for m in messages) == sorted(c.email for c in clients)
    assert deliver_pending(now) == 0
