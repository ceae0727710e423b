"""The notification centre in a real browser: the bell counts an unread notification, opening it from the
list marks it read and goes to the deal; the preferences page saves the choices (the daily email too)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_the_bell_counts_unread_and_opening_from_the_list_marks_read(page, live_server, e2e_data):
    from voronka.automation.models import EventType, Notification
    from voronka.automation.services import notify

    deal = e2e_data.deals[0]
    note = notify(recipient=e2e_data.manager, event_type=EventType.DEAL_HANDED, target=deal,
                  link_url=f"/deals/{deal.pk}/", title=f"Сделка передана вам: {deal.title}", dedupe_key="e2e:1")
    login(page, live_server, "manager1")
    expect(page.get_by_test_id("bell-count")).to_have_text("1")
    page.get_by_test_id("bell").click()
    item = page.get_by_test_id(f"notification-{note.pk}")
    expect(item).to_contain_text(deal.title)
    expect(item).to_have_class("notification unread")
    assert_accessible(page)
    screenshot(page, "notifications-unread")
    item.get_by_role("button", name="Открыть").click()
    page.wait_for_url(f"**/deals/{deal.pk}/")
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    note.refresh_from_db()
    assert note.read_at is not None
    page.get_by_test_id("bell").click()
    expect(page.get_by_test_id(f"notification-{note.pk}")).to_have_class("notification")
    assert Notification.objects.filter(recipient=e2e_data.manager, read_at=None).count() == 0


def test_the_preferences_page_saves_each_choice(page, live_server, e2e_data):
    from voronka.automation.models import EventType, NotificationPreference

    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/account/notifications/")
    page.select_option(f"#pref-{EventType.TASK_OVERDUE}", "email")
    page.select_option(f"#pref-{EventType.DAILY_DIGEST}", "email")
    page.select_option(f"#pref-{EventType.DEAL_HANDED}", "none")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator(".msg-success")).to_contain_text("сохранены")
    page.reload()
    expect(page.locator(f"#pref-{EventType.TASK_OVERDUE}")).to_have_value("email")
    expect(page.locator(f"#pref-{EventType.DAILY_DIGEST}")).to_have_value("email")
    expect(page.locator(f"#pref-{EventType.DEAL_HANDED}")).to_have_value("none")
    assert_accessible(page)
    screenshot(page, "notification-preferences")
    saved = dict(NotificationPreference.objects.filter(user=e2e_data.manager).values_list("event_type", "delivery"))
    assert saved[EventType.DAILY_DIGEST] == "email" and saved[EventType.DEAL_HANDED] == "none"
