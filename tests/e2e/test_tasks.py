"""The task section (/tasks/) and the top bar's task counters in a real browser, at 1440 px and 390 px."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def open_counts(user) -> tuple[int, int]:
    from voronka.activities.models import Task

    today = timezone.localdate()
    mine = Task.objects.filter(assignee=user, status="open")
    return mine.filter(due_date__lt=today).count(), mine.filter(due_date=today).count()


def test_top_bar_counters_on_every_page_red_when_overdue(page, live_server, e2e_data):
    overdue, today = open_counts(e2e_data.manager)
    assert overdue >= 1
    login(page, live_server, "manager1")
    for path in ("/my-day/", "/deals/", "/clients/", "/tasks/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_test_id("tc-overdue").locator(".tc-num")).to_have_text(str(overdue))
        expect(page.get_by_test_id("tc-today").locator(".tc-num")).to_have_text(str(today))
        assert "is-hot" in page.get_by_test_id("tc-overdue").get_attribute("class")
    color = page.get_by_test_id("tc-overdue").evaluate("e => getComputedStyle(e).backgroundColor")
    assert color == "rgb(179, 38, 30)"  # --danger
    page.get_by_test_id("tc-overdue").click()
    expect(page.locator("[data-task-item]")).to_have_count(overdue)
    screenshot(page, "top-bar-counters")


def test_counter_is_not_red_without_overdue_tasks(page, live_server, e2e_data):
    login(page, live_server, "manager4")  # no tasks at all
    page.goto(f"{live_server.url}/deals/")
    expect(page.get_by_test_id("tc-overdue").locator(".tc-num")).to_have_text("0")
    assert "is-hot" not in page.get_by_test_id("tc-overdue").get_attribute("class")


def test_lead_filters_counts_and_bulk_postpones_then_reassigns(page, live_server, e2e_data):
    from voronka.activities.models import Task

    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, live_server, "lead1")
    page.locator(".mainnav").get_by_role("link", name="Задачи").click()
    expect(page).to_have_url(f"{live_server.url}/tasks/")
    expect(page.locator("h1")).to_have_text("Задачи")
    visible = Task.objects.filter(status="open", assignee__team=e2e_data.lead.team).count()
    expect(page.locator("[data-task-item]")).to_have_count(visible)
    counts = page.get_by_test_id("assignee-counts")
    expect(counts.locator(f"[data-assignee-count='{e2e_data.manager.pk}'] [data-col=open]")).to_have_text(
        str(Task.objects.filter(status="open", assignee=e2e_data.manager).count()))
    # a phone link of the client on each row
    first_phone = page.locator("[data-task-item] a[data-tel]").first
    assert first_phone.get_attribute("href").startswith("tel:+7")
    assert_accessible(page)
    screenshot(page, "tasks-1440")

    # Filter: overdue only.
    page.select_option("#id_due", "overdue")
    page.get_by_role("button", name="Показать").click()
    overdue = list(Task.objects.filter(status="open", assignee__team=e2e_data.lead.team,
                                       due_date__lt=timezone.localdate()))
    expect(page.locator("[data-task-item]")).to_have_count(len(overdue))

    # Bulk postpone without a comment: refused, nothing changes.
    page.locator("[data-check-all]").check()
    page.locator("input[name=action][value=postpone]").check()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    page.fill("#bulk-postpone_to", tomorrow)
    page.get_by_role("button", name="Применить к выбранным").click()
    expect(page.locator(".msg-error")).to_be_visible()
    assert Task.objects.filter(pk__in=[t.pk for t in overdue], status="open").count() == len(overdue)

    # With a comment: every selected task is postponed to tomorrow (follow-up tasks created).
    page.locator("[data-check-all]").check()
    page.locator("input[name=action][value=postpone]").check()
    page.fill("#bulk-postpone_to", tomorrow)
    page.fill("#bulk-comment", "Клиенты в отпуске")
    page.get_by_role("button", name="Применить к выбранным").click()
    expect(page.locator(".msg-success")).to_be_visible()
    expect(page.locator("[data-task-item]")).to_have_count(0)
    for task in overdue:
        task.refresh_from_db()
        assert task.outcome == "postpone" and task.follow_up.due_date.isoformat() == tomorrow

    # Reassign everything of manager1 due tomorrow to the lead himself.
    page.goto(f"{live_server.url}/tasks/?assignee={e2e_data.manager.pk}&due=range&due_from={tomorrow}&due_to={tomorrow}")
    rows = page.locator("[data-task-item]")
    n = rows.count()
    assert n >= 1
    page.locator("[data-check-all]").check()
    page.select_option("#bulk-assignee", str(e2e_data.lead.pk))
    page.get_by_role("button", name="Применить к выбранным").click()
    expect(page.locator(".msg-success")).to_contain_text(str(n))
    expect(page.locator("[data-task-item]")).to_have_count(0)


def test_manager_task_list_on_a_phone_is_cards_without_overflow(page, live_server, e2e_data):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/tasks/")
    expect(page.get_by_test_id("task-bulk")).to_have_count(0)
    row = page.locator("[data-task-item]").first
    expect(row).to_be_visible()
    assert row.evaluate("e => getComputedStyle(e).display") == "block"  # a card, not a table row
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    screenshot(page, "tasks-390")
