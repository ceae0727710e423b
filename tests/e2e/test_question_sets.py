"""Settings › Qualification questions in a real browser: edit a set, then ask its question on a stage."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_admin_edits_a_question_set_and_a_stage_asks_the_new_question(page, live_server, e2e_data):
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/settings/")
    page.locator(".settings-nav").get_by_role("link", name=re.compile("Квалификационные вопросы|Qualification questions")).click()
    assert_accessible(page)
    page.locator("#set-table").get_by_role("link", name="Квалификация клиента").first.click()
    expect(page.locator("h1")).to_contain_text("Квалификация клиента")

    # add
    page.fill("#id_new-text", "Сколько переводчиков в штате?")
    page.locator("form.inline-form button[type=submit]").click()
    expect(page.locator(".msg-success")).to_be_visible()
    row = page.locator("#question-table tr", has_text="Сколько переводчиков в штате?")
    row_id = row.get_attribute("data-id")
    expect(page.locator("#question-table tbody tr").last).to_have_attribute("data-id", row_id)

    # reorder with the keyboard arrows; the focus stays on the moved row
    page.locator(f"#up-{row_id}").click()
    expect(page.locator("#question-table tbody tr").nth(-2)).to_have_attribute("data-id", row_id)
    expect(page.locator(f"#up-{row_id}")).to_be_focused()

    # rename in a dialog
    page.locator(f"#edit-{row_id}").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#id_text")).to_have_value("Сколько переводчиков в штате?")
    dialog.locator("#id_text").fill("Сколько штатных переводчиков?")
    screenshot(page, "settings-question-dialog")
    dialog.locator("button[type=submit]").click()
    expect(page.locator(f"#question-table tr[data-id='{row_id}']")).to_contain_text("Сколько штатных переводчиков?")

    # switch another one off
    last_id = page.locator("#question-table tbody tr").last.get_attribute("data-id")
    page.locator(f"#toggle-{last_id}").click()
    expect(page.locator(f"#question-table tr[data-id='{last_id}']")).to_have_class(re.compile("row-inactive"))
    screenshot(page, "settings-question-set")
    assert_accessible(page)

    page.reload()
    expect(page.locator("#question-table tbody tr").nth(-2)).to_have_attribute("data-id", row_id)
    expect(page.locator(f"#question-table tr[data-id='{last_id}']")).to_have_class(re.compile("row-inactive"))

    # the stage editor offers the new question; checked and required, it is saved on the stage
    page.goto(f"{live_server.url}/settings/pipelines/")
    page.get_by_role("link", name="Входящие заявки").click()
    page.locator("#stage-list .stage-card").nth(1).locator(".stage-actions a.btn").click()
    box = page.locator(f'input[name="questions"][value="{row_id}"]')
    expect(box).not_to_be_checked()
    box.check()
    page.locator('input[name="questions_required"]').check()
    assert_accessible(page)
    page.locator(".stage-form-actions button[type=submit]").click()
    expect(page.locator(".msg-success")).to_be_visible()
    page.locator("#stage-list .stage-card").nth(1).locator(".stage-actions a.btn").click()
    expect(page.locator(f'input[name="questions"][value="{row_id}"]')).to_be_checked()
    expect(page.locator('input[name="questions_required"]')).to_be_checked()
