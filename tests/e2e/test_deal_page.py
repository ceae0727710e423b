"""The deal page in a real browser: inline edit, the stage path with the required-fields dialog, the
timeline, tasks, accessibility."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, fill_required, login, screenshot

pytestmark = pytest.mark.e2e


def deal_url(live_server, deal):
    return f"{live_server.url}/deals/{deal.pk}/"


def test_inline_edit_of_the_amount(page, live_server, e2e_data):
    deal = e2e_data.deals[0]
    login(page, live_server, "manager1")
    page.goto(deal_url(live_server, deal))
    expect(page.locator("#deal-amount")).to_contain_text("100")
    page.locator("#f-amount .inline-value").click()
    field = page.locator("#f-amount input[name=amount]")
    expect(field).to_be_visible()
    field.fill("-5")
    page.locator("#f-amount button[type=submit]").click()
    expect(page.locator("#f-amount .errorlist")).to_be_visible()
    page.locator("#f-amount input[name=amount]").fill("150000")
    page.locator("#f-amount button[type=submit]").click()
    expect(page.locator("#f-amount .inline-value")).to_contain_text("150")
    expect(page.locator("#deal-amount")).to_contain_text("150")
    expect(page.locator("#deal-version")).to_have_value("2")
    # a second edit uses the new version (no false "someone changed the deal")
    page.locator("#f-title .inline-value").click()
    page.locator("#f-title input[name=title]").fill("Ромашка: перевод сайта и приложения")
    page.locator("#f-title input[name=title]").press("Enter")
    expect(page.locator("#deal-title-h")).to_have_text("Ромашка: перевод сайта и приложения")
    deal.refresh_from_db()
    assert str(deal.amount) == "150000.00" and deal.version == 3


def test_click_a_stage_in_the_path_moves_the_deal(page, live_server, e2e_data):
    from voronka.clients.services import add_contact

    deal = e2e_data.deals[1]
    add_contact(actor=e2e_data.manager, client=deal.client, name="Иван Смирнов")
    login(page, live_server, "manager1")
    page.goto(deal_url(live_server, deal))
    page.locator(".stagepath button.stagepath-btn").first.click()  # the second stage: it needs fields
    dialog = page.locator("dialog.fields-dialog")
    expect(dialog).to_be_visible()
    for block in dialog.locator("[data-required-field]").all():
        if block.locator("select").count():
            block.locator("select").select_option(index=1)
        else:
            block.locator("input[type=checkbox]").first.check()
    dialog.locator("button[type=submit]").click()
    page.wait_for_load_state()
    current = page.locator(".stagepath [aria-current=step]")
    expect(current).to_contain_text("Квалификация проведена")
    expect(page.locator(".rulebook-panel")).to_contain_text("Квалификация проведена")
    expect(page.locator(".history")).to_contain_text("Заявка получена")
    deal.refresh_from_db()
    assert deal.stage.position > 0


def test_add_a_note_to_the_timeline_and_page_is_accessible(page, live_server, e2e_data):
    deal = e2e_data.deals[2]
    login(page, live_server, "manager1")
    page.goto(deal_url(live_server, deal))
    expect(page.locator("#tasks-panel")).to_contain_text("Позвонить")
    form = page.locator("form.timeline-form")
    form.locator("textarea[name=body]").fill("Клиент просит КП до пятницы")
    form.locator("button[type=submit]").click()
    expect(page.locator(".timeline")).to_contain_text("Клиент просит КП до пятницы")
    screenshot(page, "deal-page")
    assert_accessible(page)
    from voronka.activities.models import Activity

    assert Activity.objects.filter(deal=deal, kind="note", body="Клиент просит КП до пятницы").exists()


def test_win_from_the_deal_page_and_reopen(page, live_server, e2e_data):
    from voronka.clients.services import add_contact

    deal = e2e_data.deals[0]
    add_contact(actor=e2e_data.manager, client=deal.client, name="Анна Петрова", phone="+79160000001")
    login(page, live_server, "manager1")
    page.goto(deal_url(live_server, deal))
    page.locator(".deal-actions .btn-ok").click()
    dialog = page.locator("dialog.win-dialog")
    expect(dialog).to_be_visible()
    fill_required(dialog)  # a win from the first stage passes every later stage: it asks for their fields
    dialog.locator("button[type=submit]").click()
    expect(page.locator(".deal-head .badge-ok")).to_be_visible()
    page.locator(".deal-actions .btn-primary").click()
    dialog = page.locator("dialog.reopen-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=task_title]").fill("Обсудить продление")
    dialog.locator("button[type=submit]").click()
    expect(page.locator(".deal-actions .btn-ok")).to_be_visible()
    deal.refresh_from_db()
    assert deal.status == "open"


def test_move_to_another_pipeline_asks_for_the_stage_fields(page, live_server, e2e_data):
    from voronka.deals.models import Deal, StageTransition
    from voronka.pipelines.models import Pipeline

    deal = e2e_data.deals[0]
    outreach = Pipeline.objects.get(slug="outreach")
    login(page, live_server, "manager1")
    page.goto(deal_url(live_server, deal))
    page.locator("#pipeline-change").click()
    dialog = page.locator("dialog.pipeline-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("select[name=pipeline]").select_option(str(outreach.pk))
    first = outreach.stages.filter(is_archived=False).order_by("position", "id").first()
    expect(dialog.locator("#pipeline-stage-field select option").nth(1)).to_have_text(first.name)
    dialog.locator("button[type=submit]").click()
    dialog = page.locator("dialog.pipeline-dialog")
    expect(dialog.locator("[data-required-field]").first).to_be_visible()  # the first stage demands fields
    for block in dialog.locator("[data-required-field]").all():
        if block.locator("select").count():
            block.locator("select").select_option(index=1)
        elif block.locator("input[type=checkbox]").count():
            block.locator("input[type=checkbox]").first.check()
    assert_accessible(page)
    dialog.locator("button[type=submit]").click()
    expect(page.locator(".crumbs")).to_contain_text(outreach.name)
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.pipeline_id, stored.stage_id) == (outreach.pk, first.pk)
    assert StageTransition.objects.filter(deal=deal, kind="pipeline_change", pipeline=outreach).count() == 1


def test_the_change_history_opens_and_shows_the_edit(page, live_server, e2e_data):
    from voronka.deals.services import update_deal

    deal = e2e_data.deals[0]
    update_deal(actor=e2e_data.manager, deal=deal, values={"title": "Ромашка: новое название"})
    login(page, live_server, "manager1")
    page.goto(deal_url(live_server, deal))
    panel = page.locator("#changes-panel")
    panel.locator("summary").click()
    expect(panel.locator("tr[data-entry]").first).to_be_visible()
    expect(panel).to_contain_text("Ромашка: новое название")
    screenshot(page, "deal-change-history")


def test_new_task_from_the_deal_page_opens_creates_and_leaves_the_win_dialog_working(page, live_server, e2e_data):
    from voronka.activities.models import Task

    deal = e2e_data.deals[0]
    before = Task.objects.filter(deal=deal).count()
    login(page, live_server, "manager1")
    page.goto(deal_url(live_server, deal))
    page.locator("#deal-tasks button.btn-small, [hx-get*='/tasks/new/']").first.click()
    dialog = page.locator("dialog.task-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("[name=title]").fill("Позвонить ЛПР")
    dialog.locator(".chip").first.click()  # a quick date (data attribute, no inline handler)
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(page.locator("#modal-root")).to_have_count(1)  # the dialog root survives the swap
    assert Task.objects.filter(deal=deal).count() == before + 1
    page.get_by_role("button", name="✓ Выиграна").or_(page.locator("button.btn-ok")).first.click()
    expect(page.locator("dialog.win-dialog")).to_be_visible()
    screenshot(page, "deal-new-task-then-win")
