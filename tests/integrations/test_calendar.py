"""The iCalendar feed through its real address, parsed with icalendar: the user's own open tasks only, timed and
all-day events, stable UIDs, and an address the user creates, rotates and revokes on his page."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from tests.factories import make_client, make_deal, sign_in, task_spec
from voronka.activities.services import cancel_task, create_task
from voronka.audit.models import AuditEntry
from voronka.integrations.models import CalendarFeed
from voronka.pipelines.services import set_pipeline_access

pytestmark = pytest.mark.django_db


def _create_address(http) -> str:
    response = http.post("/account/calendar/", {"action": "create"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return re.search(r'value="(http[^"]+\.ics)"', response.content.decode()).group(1)


def _feed(url: str):
    path = url.split("testserver", 1)[1]
    response = HttpClient().get(path)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


@pytest.fixture
def owner_http(world):
    http = HttpClient()
    assert sign_in(http, "owner", "demo")
    return http


def test_the_feed_lists_the_users_open_tasks_as_timed_and_all_day_events(world, owner_http):
    client = make_client(world.owner, name="ООО Ромашка")
    deal = make_deal(world.owner, world.pipeline, client=client, title="Поставка API",
                     first_task=task_spec(days=2, title="Позвонить ЛПР", due_time="10:30"))
    create_task(actor=world.owner, deal=deal, **task_spec(days=3, title="Отправить КП"))
    create_task(actor=world.owner, client=client, **task_spec(days=1, title="Задача по клиенту"))
    done = create_task(actor=world.owner, deal=deal, **task_spec(days=1, title="Отменённая"))
    cancel_task(actor=world.owner, task=done, comment="не нужно")
    make_deal(world.teammate, world.pipeline, first_task=task_spec(title="Чужая задача"))  # a colleague's

    url = _create_address(owner_http)
    cal = _feed(url)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Позвонить ЛПР", "Отправить КП", "Задача по клиенту"}

    timed = events["Позвонить ЛПР"]
    start = timed.decoded("dtstart")
    assert isinstance(start, dt.datetime)
    expected = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=2), dt.time(10, 30),
                                   tzinfo=timezone.get_current_timezone())
    assert start == expected and timed.decoded("dtend") - start == dt.timedelta(minutes=30)
    assert "Поставка API" in str(timed["description"]) and "ООО Ромашка" in str(timed["description"])
    assert str(timed["url"]).endswith(f"/deals/{deal.pk}/")

    all_day = events["Отправить КП"]
    assert all_day.decoded("dtstart") == timezone.localdate() + dt.timedelta(days=3)
    assert not isinstance(all_day.decoded("dtstart"), dt.datetime)
    assert str(events["Задача по клиенту"]["url"]).endswith(f"/clients/{client.pk}/")

    uids = {str(e["summary"]): str(e["uid"]) for e in cal.walk("VEVENT")}
    again = {str(e["summary"]): str(e["uid"]) for e in _feed(url).walk("VEVENT")}
    assert uids == again and len(set(uids.values())) == 3  # stable, one per task


def test_a_rotated_or_revoked_address_is_a_404_and_every_change_is_audited(world, owner_http):
    make_deal(world.owner, world.pipeline)
    first = _create_address(owner_http)
    assert len(_feed(first).walk("VEVENT")) == 1
    second = _create_address(owner_http)
    assert second != first
    assert HttpClient().get(first.split("testserver", 1)[1]).status_code == 404
    _feed(second)
    assert CalendarFeed.objects.get(revoked_at__isnull=True).last_used_at is not None
    page = owner_http.get("/account/calendar/").content.decode()
    assert ".ics" not in page  # the secret is shown once only
    assert owner_http.post("/account/calendar/", {"action": "revoke"}).status_code == 302
    assert HttpClient().get(second.split("testserver", 1)[1]).status_code == 404
    assert HttpClient().get("/calendar/" + "a" * 43 + ".ics").status_code == 404
    assert HttpClient().get("/calendar/x.ics").status_code == 404
    actions = list(AuditEntry.objects.filter(action__startswith="calendar_feed.").values_list("action", flat=True))
    assert actions.count("calendar_feed.created") == 2 and actions.count("calendar_feed.revoked") == 2
    assert not CalendarFeed.objects.filter(token_hash__contains=second.rsplit("/", 1)[1][:-4]).exists()


def test_a_deactivated_user_or_a_pipeline_taken_away_shows_nothing(world, owner_http):
    make_deal(world.owner, world.other_pipeline, first_task=task_spec(title="Outreach"))
    make_deal(world.owner, world.pipeline, first_task=task_spec(title="Inbound"))
    url = _create_address(owner_http)
    assert {str(e["summary"]) for e in _feed(url).walk("VEVENT")} == {"Outreach", "Inbound"}
    set_pipeline_access(actor=world.admin, user=world.owner, pipelines=[world.pipeline])
    assert {str(e["summary"]) for e in _feed(url).walk("VEVENT")} == {"Inbound"}
    world.owner.is_active = False
    world.owner.save()
    assert HttpClient().get(url.split("testserver", 1)[1]).status_code == 404


def test_the_page_needs_sign_in_and_the_feed_query_count_is_flat(world, owner_http, django_assert_max_num_queries):
    assert HttpClient().get("/account/calendar/").status_code == 302
    assert HttpClient().post("/account/calendar/", {"action": "create"}).status_code == 302
    assert CalendarFeed.objects.count() == 0
    for n in range(12):
        make_deal(world.owner, world.pipeline, first_task=task_spec(days=n % 4, title=f"Задача {n}"))
    url = _create_address(owner_http)
    path = url.split("testserver", 1)[1]
    with django_assert_max_num_queries(8):
        response = HttpClient().get(path)
    assert len(icalendar.Calendar.from_ical(response.content).walk("VEVENT")) == 12
