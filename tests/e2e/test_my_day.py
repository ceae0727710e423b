"""My day in a real browser: counters, keyboard, the Complete dialog with each outcome, phone layout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def counter(page, name: str):
    return page.locator(f"[data-counter={name}] .counter-num")


def count(page, name: str) -> int:
    return int(counter(page, name).inner_text())


def only_task_left(deal, keep_title: str) -> None:
    """Cancel the deal's other open tasks (the stage's on-enter call) so ``keep_title`` is its last one."""
    from voronka.activities.models import Task
    from voronka.activities.services import cancel_task

    for task in Task.objects.filter(deal=deal, status="open").exclude(title=keep_title):
        cancel_task(actor=deal.owner, task=task, comment="e2e set-up")


def open_dialog_of(page, title: str):
    row = page.locator("[data-task-row]", has_text=title)
    row.locator("[data-complete]").click()
    dialog = page.locator("#modal-root dialog[open]")
    expect(dialog).to_be_visible()
    return dialog


def login_to_my_day(page, live_server, username: str) -> None:
    """Sign in (that lands on the role's dashboard), then open My day."""
    login(page, live_server, username)
    page.goto(f"{live_server.url}/my-day/")
    expect(page).to_have_url(re.compile(r"/my-day/$"))


def expect_dialog_closed(page):
    expect(page.locator("#modal-root dialog")).to_have_count(0)


def test_counters_keyboard_and_result_with_next_task(page, live_server, e2e_data):
    only_task_left(e2e_data.deals[0], "Позвонить ООО Ромашка")
    login_to_my_day(page, live_server, "manager1")
    expect(page).to_have_url(re.compile(r"/my-day/$"))
    expect(counter(page, "overdue")).to_have_text("1")
    expect(counter(page, "today")).to_have_text("1")
    upcoming = count(page, "upcoming")
    assert upcoming >= 1
    expect(page.locator("#day-overdue [data-task-row]")).to_have_count(1)
    expect(page.locator("#day-overdue .flag-overdue")).to_be_visible()
    expect(page.locator(".kbd-hint")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "my-day")

    # Keyboard: j focuses the first row, j/k move, Enter opens the dialog of the focused row.
    page.keyboard.press("j")
    rows = page.locator("[data-task-row]")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("#modal-root dialog[open]")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Позвонить ООО Ромашка")
    expect(dialog.locator(".rulebook")).to_be_visible()
    expect(dialog.locator("input[name=outcome]").first).to_be_focused()
    assert_accessible(page)

    # Result without a next task on the deal's last task: the dialog demands it.
    dialog.locator("input[name=outcome][value=result]").check()
    expect(dialog.locator("#id_next_title")).to_be_visible()
    dialog.locator("#id_comment").fill("Поговорили, ждут предложение")
    screenshot(page, "complete-dialog")
    dialog.locator("button[type=submit]").click()
    dialog = page.locator("#modal-root dialog[open]")
    expect(dialog.locator(".field-error #id_next_title")).to_be_visible()
    expect(dialog.locator("#id_next_title")).to_be_focused()
    expect(dialog.locator("#id_comment")).to_have_value("Поговорили, ждут предложение")
    screenshot(page, "complete-dialog-error")

    dialog.locator("#id_next_title").fill("Отправить КП")
    dialog.locator("#id_next_kind").select_option("email")
    dialog.locator("button[type=submit]").click()
    expect_dialog_closed(page)
    expect(counter(page, "overdue")).to_have_text("0")
    expect(counter(page, "upcoming")).to_have_text(str(upcoming + 1))
    expect(page.locator("#day-upcoming")).to_contain_text("Отправить КП")
    # the keyboard flow goes on: focus is back on a task row
    expect(page.locator("[data-task-row]:focus")).to_have_count(1)


def test_postpone_moves_the_task_to_the_new_date(page, live_server, e2e_data):
    login_to_my_day(page, live_server, "manager1")
    upcoming = count(page, "upcoming")
    dialog = open_dialog_of(page, "Позвонить АО Вектор")
    dialog.locator("input[name=outcome][value=postpone]").check()
    dialog.locator("#id_comment").fill("Попросили перезвонить через неделю")
    dialog.locator("button[type=submit]").click()
    dialog = page.locator("#modal-root dialog[open]")
    expect(dialog.locator(".field-error #id_postpone_to")).to_be_visible()
    dialog.locator("[data-outcome=postpone] .chip").nth(1).click()  # in 3 days
    dialog.locator("button[type=submit]").click()
    expect_dialog_closed(page)
    expect(counter(page, "today")).to_have_text("0")
    expect(counter(page, "upcoming")).to_have_text(str(upcoming + 1))
    expect(page.locator("#day-upcoming")).to_contain_text("Позвонить АО Вектор")


def test_refusal_with_reason_loses_the_deal(page, live_server, e2e_data):
    from voronka.deals.models import Deal

    login_to_my_day(page, live_server, "manager1")
    upcoming = count(page, "upcoming")
    dialog = open_dialog_of(page, "Позвонить ИП Сидоров")
    dialog.locator("input[name=outcome][value=refusal]").check()
    expect(dialog.locator(".refusal-note")).to_be_visible()
    dialog.locator("#id_comment").fill("Не актуально")
    dialog.locator("button[type=submit]").click()
    dialog = page.locator("#modal-root dialog[open]")
    expect(dialog.locator(".field-error #id_lost_reason")).to_be_visible()
    dialog.locator("#id_lost_reason").select_option(index=1)
    dialog.locator("button[type=submit]").click()
    expect_dialog_closed(page)
    expect(page.locator("[data-task-row]", has_text="Позвонить ИП Сидоров")).to_have_count(0)
    # losing the deal cancels its other open tasks too
    assert count(page, "upcoming") < upcoming
    deal = Deal.objects.get(pk=e2e_data.deals[2].pk)
    assert deal.status == "lost" and deal.lost_reason_id is not None


def test_escape_closes_the_dialog_without_writing(page, live_server, e2e_data):
    login_to_my_day(page, live_server, "manager1")
    open_dialog_of(page, "Позвонить АО Вектор")
    page.keyboard.press("Escape")
    expect_dialog_closed(page)
    expect(counter(page, "today")).to_have_text("1")


def test_lead_filters_by_manager(page, live_server, e2e_data):
    login_to_my_day(page, live_server, "lead1")
    total = page.locator("[data-task-row]").count()
    assert total >= 3
    expect(page.locator("[data-task-row]").first).to_contain_text("Manager1")  # whose task it is
    page.select_option("#assignee-select", str(e2e_data.lead.pk))
    expect(page).to_have_url(re.compile(rf"assignee={e2e_data.lead.pk}"))
    expect(page.locator("[data-task-row]")).to_have_count(0)
    page.select_option("#assignee-select", str(e2e_data.manager.pk))
    expect(page.locator("[data-task-row]")).to_have_count(total)


def test_phone_layout(page, live_server, e2e_data):
    page.set_viewport_size({"width": 375, "height": 800})
    login_to_my_day(page, live_server, "manager1")
    expect(counter(page, "today")).to_have_text("1")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"horizontal scroll on a phone: {width}px"
    screenshot(page, "my-day-phone")
    open_dialog_of(page, "Позвонить АО Вектор").locator("input[name=outcome][value=result]").check()
    screenshot(page, "complete-dialog-phone")
    assert_accessible(page)
