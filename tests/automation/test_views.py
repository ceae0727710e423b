"""The bell on every page, the list (unread first, mark read, mark all read, open), the preferences page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_deal
from voronka.automation.models import Delivery, EventType, Notification, NotificationPreference
from voronka.automation.services import notify

pytestmark = pytest.mark.django_db


def _notes(user, n, start=0, target=None):
    return [notify(recipient=user, event_type=EventType.DEAL_ROTTING, dedupe_key=f"k{i}", title=f"Заметка {i}",
                   body="текст", link_url="/deals/" if target is None else f"/deals/{target.pk}/", target=target)
            for i in range(start, start + n)]


def test_the_bell_shows_the_unread_count_on_every_page(client, world):
    client.force_login(world.owner)
    notes = _notes(world.owner, 3)
    _notes(world.teammate, 5)
    for url in ("/", "/deals/", "/clients/", "/notifications/"):
        html = client.get(url, follow=True).content.decode()
        assert 'data-testid="bell-count">3<' in html, url
    notes[0].read_at = timezone.now()
    notes[0].save()
    assert 'data-testid="bell-count">2<' in client.get("/deals/").content.decode()


def test_the_bell_costs_one_count_query(client, world):
    client.force_login(world.owner)
    _notes(world.owner, 2)
    with CaptureQueriesContext(connection) as queries:
        client.get("/deals/")
    bell = [q["sql"] for q in queries.captured_queries if "automation_notification" in q["sql"]]
    assert len(bell) == 1 and "COUNT" in bell[0].upper()


def test_the_list_shows_unread_first_and_only_the_users_own(client, world):
    client.force_login(world.owner)
    first, second = _notes(world.owner, 2)
    other = _notes(world.teammate, 1, start=9)[0]
    Notification.objects.filter(pk=second.pk).update(read_at=timezone.now())  # the newer one is read
    html = client.get("/notifications/").content.decode()
    assert html.index(f"notification-{first.pk}") < html.index(f"notification-{second.pk}")
    assert f"notification-{other.pk}" not in html and "Заметка 9" not in html


def test_mark_read_open_and_mark_all_read(client, world, commit):
    with commit():
        deal = make_deal(world.owner, world.pipeline)
    client.force_login(world.owner)
    a, b, _c = _notes(world.owner, 3, target=deal)
    response = client.post("/notifications/read/", {"id": a.pk, "open": "1"})
    assert response.status_code == 302 and response["Location"] == f"/deals/{deal.pk}/"
    a.refresh_from_db()
    assert a.read_at is not None
    assert client.post("/notifications/read/", {"id": b.pk}).status_code == 302
    assert Notification.objects.filter(recipient=world.owner, read_at=None).count() == 1
    client.post("/notifications/read-all/")
    assert Notification.objects.filter(recipient=world.owner, read_at=None).count() == 0


def test_nobody_marks_someone_elses_notification(client, world):
    [theirs] = _notes(world.teammate, 1)
    client.force_login(world.owner)
    for value in (theirs.pk, "abc", "", "9" * 40):
        assert client.post("/notifications/read/", {"id": value}).status_code == 302
    client.post("/notifications/read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_list_query_count_does_not_grow_and_it_pages(client, world):
    client.force_login(world.owner)
    _notes(world.owner, 3)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/notifications/").status_code == 200
    _notes(world.owner, 40, start=3)
    with CaptureQueriesContext(connection) as large:
        html = client.get("/notifications/").content.decode()
    assert len(large) == len(small) <= 10, [q["sql"] for q in large.captured_queries]
    assert html.count('data-testid="notification-') == 30 and "?page=2" in html
    assert client.get("/notifications/?page=2").content.decode().count('data-testid="notification-') == 13
    assert client.get("/notifications/?page=zzz").status_code == 200


def test_preferences_save_and_a_bad_value_writes_nothing(client, world):
    client.force_login(world.owner)
    assert client.get("/account/notifications/").status_code == 200
    data = {f"pref_{t}": Delivery.IN_APP for t in EventType.values}
    data[f"pref_{EventType.TASK_OVERDUE}"] = Delivery.BOTH
    assert client.post("/account/notifications/", data).status_code == 302
    saved = dict(NotificationPreference.objects.filter(user=world.owner).values_list("event_type", "delivery"))
    # every type offered to a manager: not the team leads', heads' and administrators' notices
    not_his = {EventType.DEAL_LOST, EventType.DEAL_NO_TASK, EventType.HANDOFF_NOT_ACCEPTED, EventType.SALES_DIP,
               EventType.MORNING_SUMMARY, EventType.WEBHOOK_PAUSED}
    assert saved[EventType.TASK_OVERDUE] == Delivery.BOTH
    assert set(saved) == set(EventType.values) - not_his
    data[f"pref_{EventType.TASK_OVERDUE}"] = Delivery.NONE
    data[f"pref_{EventType.TASK_ASSIGNED}"] = "loud"
    response = client.post("/account/notifications/", data)
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    after = dict(NotificationPreference.objects.filter(user=world.owner).values_list("event_type", "delivery"))
    assert after == saved


def test_the_user_menu_links_the_preferences(client, world):
    client.force_login(world.analyst)
    assert 'href="/account/notifications/"' in client.get("/notifications/").content.decode()


def test_the_admin_lists_notifications_but_never_changes_them(client, world):
    [note] = _notes(world.owner, 1)
    client.force_login(world.admin)
    assert client.get("/admin/automation/notification/").status_code == 200
    assert client.get(f"/admin/automation/notification/{note.pk}/change/").status_code == 200
    assert client.get(f"/admin/automation/notification/{note.pk}/delete/").status_code == 403
