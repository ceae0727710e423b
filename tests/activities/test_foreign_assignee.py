"""A task given to a manager on a colleague's deal (a conveyor helper, "call him for me").

The rule (docs/architecture.md, "Who sees what"): the assignee sees his task with what it needs, the deal's
title, client and stage with its rulebook, in My day and the task dialog, but not the deal's page, amount,
other tasks or timeline. He completes it with any outcome; a Result's next task stays on the deal and goes
to the deal's owner unless he names himself.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_deal, task_spec
from voronka.activities.models import Task
from voronka.activities.selectors import my_day
from voronka.activities.services import create_task

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def helper_task(world):
    deal = make_deal(world.owner, world.pipeline, title="Сделка владельца", values={"amount": "777123"})
    task = create_task(actor=world.lead, deal=deal, assignee=world.teammate, **task_spec(title="Позвонить за коллегу"))
    return deal, task


def test_the_assignee_sees_his_task_with_its_context_and_not_the_deal(world, helper_task):
    deal, task = helper_task
    assert task.pk in [t.pk for t in my_day(actor=world.teammate).upcoming + my_day(actor=world.teammate).today]
    http = HttpClient()
    http.force_login(world.teammate)
    dialog = http.get(reverse("activities:complete", args=[task.pk]), **HTMX).content.decode()
    assert "Позвонить за коллегу" in dialog and "Сделка владельца" in dialog
    assert "777 123" not in dialog and "777123" not in dialog and "777\u00a0123" not in dialog
    assert http.get(reverse("deals:detail", args=[deal.pk])).status_code == 404
    assert http.get(reverse("deals:timeline", args=[deal.pk])).status_code == 404


def test_his_result_hands_the_next_task_back_to_the_deals_owner(world, helper_task):
    deal, task = helper_task
    http = HttpClient()
    http.force_login(world.teammate)
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = http.post(reverse("activities:complete", args=[task.pk]),
                         {"outcome": "result", "comment": "Дозвонился", "next_title": "Отправить КП",
                          "next_kind": "email", "next_due_date": due}, **HTMX)
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == "done" and task.outcome == "result"
    follow = Task.objects.get(pk=task.follow_up_id)
    assert follow.deal_id == deal.pk and follow.assignee_id == world.owner.pk
