"""The same call reported twice at the same moment (a provider that retries fast) creates one lead, one timeline
entry and one task (PostgreSQL: two connections racing on the unique event id)."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from tests.concurrency import race
from voronka.activities.models import Activity, Task
from voronka.deals.models import Deal
from voronka.integrations.models import CallEvent
from voronka.integrations.telephony import log_call

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to race on"),
]


def test_two_reports_of_one_call_at_once_record_it_once(world, settings):
    settings.VORONKA_TELEPHONY_ASSIGNEE = "owner"
    payload = {"id": "race-1", "direction": "in", "status": "missed", "caller": "+79990001122",
               "callee": "101", "started_at": "2026-12-01T10:00:00+03:00", "duration": 0}
    for _round in range(3):
        results = race(partial(log_call, payload=payload), partial(log_call, payload=payload))
        assert not [r for r in results if isinstance(r, Exception)], results
        payload = {**payload, "id": payload["id"] + "x"}
    assert CallEvent.objects.count() == 3
    assert Deal.objects.count() == 1  # the first call made the lead, the others found its client
    assert Activity.objects.filter(kind="call").count() == 3
    assert sorted(r[1] for r in [results[0], results[1]]) == [False, True]
    assert Task.objects.filter(deal__isnull=False).count() == 3  # the lead's first task, two call-backs
