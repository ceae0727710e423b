"""The past-date rule through the API: 400 problem JSON naming the field (tests/deals/test_past_dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.api.conftest import assert_problem
from tests.dbstate import unchanged
from tests.factories import make_client, make_deal

pytestmark = pytest.mark.django_db


def _day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def test_api_refuses_past_dates_with_problem_json(world, api):
    http = api(world.owner)
    client = make_client(world.owner)
    with unchanged():
        body = assert_problem(http.post("deals", {
            "title": "x", "pipeline": world.pipeline.pk, "client": client.pk,
            "first_task": {"title": "Позвонить", "due_date": _day(-1).isoformat(), "kind": "call"}}), 400)
    assert body["field"] == "task_due_date"
    deal = make_deal(world.owner, world.pipeline)
    with unchanged():
        body = assert_problem(http.patch(f"deals/{deal.pk}", {
            "version": deal.version, "values": {"expected_close_date": _day(-7).isoformat()}}), 400)
    assert body["field"] == "expected_close_date"
