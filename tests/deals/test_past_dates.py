"""The past-date rule of create_deal/update_deal/reopen_deal: an open deal is expected to close today or later,
and a deal's first task is due today or later (as Postpone refuses a past contact date); a date already in
the past stays editable around it; automation (the system actor) is exempt. Field errors in the UI, 4xx
problem JSON in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.accounts.services import get_system_actor
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.services import create_deal, lose_deal, reopen_deal, update_deal

pytestmark = pytest.mark.django_db

YESTERDAY = -1


def _day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def test_create_deal_refuses_a_first_task_due_yesterday(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        create_deal(actor=world.owner, title="x", pipeline=world.pipeline, client=client,
                    first_task=task_spec(days=YESTERDAY))
    assert (exc.value.field, exc.value.code) == ("task_due_date", "past_date")


def test_create_deal_takes_a_first_task_due_today(world):
    deal = make_deal(world.owner, world.pipeline, first_task=task_spec(days=0))
    assert deal.tasks.get().due_date == timezone.localdate()


def test_create_deal_refuses_an_expected_close_date_in_the_past(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        create_deal(actor=world.owner, title="x", pipeline=world.pipeline, client=client, first_task=task_spec(),
                    values={"expected_close_date": _day(YESTERDAY).isoformat()})
    assert (exc.value.field, exc.value.code) == ("expected_close_date", "past_date")


def test_automation_may_open_a_deal_for_a_past_moment(world):
    """tick --now for a past moment opens deals with that day's task: the system actor is exempt."""
    deal = create_deal(actor=get_system_actor(), title="x", pipeline=world.pipeline, owner=world.owner,
                       client=make_client(world.owner), first_task=task_spec(days=-3),
                       values={"expected_close_date": _day(-3).isoformat()})
    assert deal.expected_close_date == _day(-3)


def test_update_deal_refuses_moving_the_close_date_into_the_past(world):
    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"expected_close_date": _day(-10).isoformat()})
    assert exc.value.field == "expected_close_date"
    update_deal(actor=world.owner, deal=deal, values={"expected_close_date": _day(0).isoformat()})
    assert Deal.objects.get(pk=deal.pk).expected_close_date == _day(0)


def test_a_close_date_already_past_does_not_block_other_edits(world):
    deal = make_deal(world.owner, world.pipeline)
    Deal.objects.filter(pk=deal.pk).update(expected_close_date=_day(-30))
    deal.refresh_from_db()
    update_deal(actor=world.owner, deal=deal, values={"title": "Новое имя"})
    assert Deal.objects.get(pk=deal.pk).title == "Новое имя"


def test_a_closed_deal_keeps_its_past_close_date_editable(world):
    deal = make_deal(world.owner, world.pipeline)
    lose_deal(actor=world.owner, deal=deal, reason=world.reason, comment="нет бюджета")
    deal.refresh_from_db()
    update_deal(actor=world.owner, deal=deal, values={"expected_close_date": _day(-5).isoformat()})
    assert Deal.objects.get(pk=deal.pk).expected_close_date == _day(-5)


def test_reopen_refuses_a_task_in_the_past(world):
    deal = make_deal(world.owner, world.pipeline)
    lose_deal(actor=world.owner, deal=deal, reason=world.reason, comment="нет бюджета")
    deal.refresh_from_db()
    with unchanged(), pytest.raises(DomainError) as exc:
        reopen_deal(actor=world.owner, deal=deal, task=task_spec(days=YESTERDAY))
    assert exc.value.field == "task_due_date"


def test_inline_edit_of_a_past_close_date_is_a_field_error(client, world):
    deal = make_deal(world.owner, world.pipeline)
    client.force_login(world.owner)
    url = reverse("deals:field", args=[deal.pk, "expected_close_date"])
    response = client.post(url, {"expected_close_date": _day(-2).isoformat(), "version": deal.version},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "cannot be in the past" in html or "не может быть в прошлом" in html
    assert Deal.objects.get(pk=deal.pk).expected_close_date is None
