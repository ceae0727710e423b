"""Settings in a real browser: the stage rulebook, drag-and-drop and keyboard ordering, the stage-name lint."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def _stage_names(page) -> list[str]:
    return [n.strip() for n in page.locator("#stage-list .stage-card .stage-name").all_inner_texts()]


def _open_pipeline(page, live_server, name: str) -> None:
    page.goto(f"{live_server.url}/settings/pipelines/")
    page.get_by_role("link", name=name).click()
    expect(page.locator("h1")).to_have_text(name)


def _drag(page, source, target, *, below: bool = True) -> None:
    """SortableJS in fallback mode follows real mouse moves; move in small steps."""
    src = source.bounding_box()
    dst = target.bounding_box()
    page.mouse.move(src["x"] + src["width"] / 2, src["y"] + src["height"] / 2)
    page.mouse.down()
    page.mouse.move(src["x"] + src["width"] / 2 + 5, src["y"] + src["height"] / 2 + 5, steps=5)
    y = dst["y"] + dst["height"] * (0.8 if below else 0.2)
    page.mouse.move(dst["x"] + dst["width"] / 2, y, steps=25)
    page.wait_for_timeout(200)
    page.mouse.up()


def test_admin_edits_a_stage_rulebook_and_it_persists(page, live_server, e2e_data):
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/settings/")
    expect(page.locator("#lint-title")).to_be_visible()
    screenshot(page, "settings")
    assert_accessible(page)

    _open_pipeline(page, live_server, "Входящие заявки")
    screenshot(page, "settings-pipeline")
    assert_accessible(page)
    card = page.locator("#stage-list .stage-card").nth(2)
    stage_name = card.locator(".stage-name").inner_text().strip()
    card.locator(".stage-actions a.btn").click()
    expect(page.locator("#id_name")).to_have_value(stage_name)

    page.fill("#id_goal", "Провести демо с ЛПР и согласовать следующий шаг")
    page.fill("#id_max_days", "6")
    inn = page.locator('input[name="required_fields"][value="client.inn"]')
    expect(inn).not_to_be_checked()
    inn.check()
    screenshot(page, "stage-edit")
    assert_accessible(page)
    page.locator(".stage-form-actions button[type=submit]").click()

    expect(page.locator(".msg-success")).to_be_visible()
    saved = page.locator("#stage-list .stage-card").nth(2)
    expect(saved).to_contain_text("Провести демо с ЛПР")
    expect(saved.locator(".stage-facts")).to_contain_text("6")

    saved.locator(".stage-name").click()
    expect(page.locator("#id_goal")).to_have_value("Провести демо с ЛПР и согласовать следующий шаг")
    expect(page.locator("#id_max_days")).to_have_value("6")
    expect(page.locator('input[name="required_fields"][value="client.inn"]')).to_be_checked()


def test_admin_reorders_stages_by_drag_and_by_buttons(page, live_server, e2e_data):
    login(page, live_server, "admin")
    _open_pipeline(page, live_server, _outreach_name(e2e_data))
    before = _stage_names(page)
    assert len(before) >= 4

    cards = page.locator("#stage-list .stage-card")
    _drag(page, cards.nth(0).locator(".drag-handle"), cards.nth(2), below=True)
    expect(page.locator("#stage-list .msg-success")).to_be_visible()
    after_drag = _stage_names(page)
    assert after_drag != before
    assert sorted(after_drag) == sorted(before)
    assert after_drag.index(before[0]) > 0
    page.reload()
    assert _stage_names(page) == after_drag

    # the keyboard way: the arrows, with the focus kept on the moved stage
    first = after_drag[0]
    stage_id = cards.nth(0).get_attribute("data-id")
    page.locator(f"#down-{stage_id}").click()
    expect(page.locator("#stage-list .stage-card").nth(1).locator(".stage-name")).to_have_text(first)
    expect(page.locator(f"#down-{stage_id}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#stage-list .stage-card").nth(2).locator(".stage-name")).to_have_text(first)
    page.locator(f"#up-{stage_id}").click()
    expect(page.locator("#stage-list .stage-card").nth(1).locator(".stage-name")).to_have_text(first)
    page.reload()
    names = _stage_names(page)
    assert names[1] == first
    assert sorted(names) == sorted(before)


def test_renaming_a_stage_negotiation_shows_the_lint_warning(page, live_server, e2e_data):
    login(page, live_server, "admin")
    _open_pipeline(page, live_server, "Входящие заявки")
    page.locator("#stage-list .stage-card").nth(3).locator(".stage-name").click()
    expect(page.locator("#name-lint .lint-warning")).to_have_count(0)
    page.fill("#id_name", "Переговоры")
    expect(page.locator("#name-lint .lint-warning")).to_contain_text("Переговоры")  # live, before saving
    page.locator(".stage-form-actions button[type=submit]").click()

    expect(page.locator(".msg-warning")).to_contain_text("Переговоры")
    card = page.locator("#stage-list .stage-card", has_text="Переговоры")
    expect(card.locator(".lint-warning")).to_be_visible()
    page.goto(f"{live_server.url}/settings/")
    expect(page.locator(".lint-list")).to_contain_text("Переговоры")
    assert_accessible(page)


def test_a_stage_with_deals_offers_archive_and_open_deals_block_it(page, live_server, e2e_data):
    login(page, live_server, "admin")
    _open_pipeline(page, live_server, "Входящие заявки")
    first = _stage_names(page)[0]
    card = page.locator("#stage-list .stage-card").first
    expect(card.locator("button[id^=delete-]")).to_have_count(0)  # history: archive, not delete
    page.once("dialog", lambda d: d.accept())
    card.locator("button[id^=archive-]").click()
    expect(page.locator("#stage-list .msg-error")).to_be_visible()
    assert _stage_names(page)[0] == first


def test_manager_cannot_open_settings(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    response = page.goto(f"{live_server.url}/settings/")
    assert response.status == 403
    expect(page.get_by_role("link", name=re.compile("Настройки|Settings"))).to_have_count(0)


def _outreach_name(e2e_data) -> str:
    from voronka.pipelines.models import Pipeline

    return Pipeline.objects.get(slug="outreach").name


def test_admin_adds_a_choice_field_in_a_dialog(page, live_server, e2e_data):
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/settings/fields/")
    assert_accessible(page)
    page.locator(".page-head a.btn-primary").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#id_entity")).to_be_focused()
    dialog.locator("#id_label").fill("Тариф")
    dialog.locator("#id_field_type").select_option("choice")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog[open] .errorlist")).to_be_visible()  # choices are required
    screenshot(page, "settings-field-dialog")
    assert_accessible(page)
    page.locator("dialog[open] #id_choices").fill("basic|Базовый\nПремиум")
    page.locator("dialog[open] button[type=submit]").click()
    expect(page.locator(".msg-success")).to_be_visible()
    row = page.locator("tr", has_text="Тариф")
    expect(row).to_contain_text("tarif")
    expect(row).to_contain_text("Базовый, Премиум")
    screenshot(page, "settings-fields")


def test_admin_keeps_a_dictionary(page, live_server, e2e_data):
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/settings/dictionaries/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/settings/dictionaries/sources/")
    page.fill("#id_new-name", "Выставка")
    page.locator("form.inline-form button[type=submit]").click()
    row = page.locator("#dict-table tr", has_text="Выставка")
    expect(row).to_be_visible()
    row_id = row.get_attribute("data-id")
    expect(page.locator("#dict-table tbody tr").last).to_have_attribute("data-id", row_id)
    page.locator(f"#up-{row_id}").click()
    expect(page.locator("#dict-table tbody tr").nth(-2)).to_have_attribute("data-id", row_id)
    expect(page.locator(f"#up-{row_id}")).to_be_focused()  # the focus stays on the moved row
    page.locator(f"#toggle-{row_id}").click()
    expect(page.locator(f"#dict-table tr[data-id='{row_id}']")).to_have_class(re.compile("row-inactive"))
    screenshot(page, "settings-dictionary")
    assert_accessible(page)
    page.goto(f"{live_server.url}/settings/dictionaries/products/")
    expect(page.locator("#id_new-price")).to_be_visible()
    assert_accessible(page)


def test_admin_creates_a_user_and_a_team(page, live_server, e2e_data):
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/settings/users/")
    assert_accessible(page)
    page.locator(".page-head a.btn-primary").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("#id_username").fill("manager7")
    dialog.locator("#id_first_name").fill("Ольга")
    dialog.locator("#id_role").select_option("manager")
    dialog.locator("#id_team").select_option(label="Отдел продаж 1")
    dialog.locator("#id_password").fill("Sales-Pass-2026")
    dialog.locator("#id_password_again").fill("Sales-Pass-2026")
    screenshot(page, "settings-user-dialog")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("tr", has_text="manager7")).to_contain_text("Отдел продаж 1")
    screenshot(page, "settings-users")
    page.goto(f"{live_server.url}/settings/teams/")
    page.fill("#id_new-name", "Отдел продаж 3")
    page.locator("#id_new-lead").select_option(label="Ольга (manager7)")
    page.locator("form.inline-form button[type=submit]").click()
    expect(page.locator("tr", has_text="Отдел продаж 3")).to_contain_text("Ольга")
    assert_accessible(page)


def test_settings_fit_a_phone(page, live_server, e2e_data):
    page.set_viewport_size({"width": 375, "height": 800})
    login(page, live_server, "admin")
    _open_pipeline_by_url(page, live_server, "inbound")
    screenshot(page, "settings-pipeline-phone")
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > 380).slice(0, 8)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380, wide
    page.locator("#stage-list .stage-card").first.locator(".stage-name").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    screenshot(page, "stage-edit-phone")


def _open_pipeline_by_url(page, live_server, slug: str) -> None:
    from voronka.pipelines.models import Pipeline

    page.goto(f"{live_server.url}/settings/pipelines/{Pipeline.objects.get(slug=slug).pk}/")


def test_admin_hands_a_stage_to_a_team_round_robin(page, live_server, e2e_data):
    from voronka.pipelines.models import Stage

    login(page, live_server, "admin")
    _open_pipeline(page, live_server, "Входящие заявки")
    card = page.locator("#stage-list .stage-card").nth(1)
    stage_id = int(card.get_attribute("data-id"))
    card.locator(".stage-actions a.btn").click()
    page.locator("#id_owner_team").select_option(label="Отдел продаж 2")
    page.locator("#id_owner_mode").select_option("lead")
    page.locator(".stage-form-actions button[type=submit]").click()
    # team 2 has no lead: a field error, nothing saved
    expect(page.locator(".field-error [role=alert]")).to_contain_text("нет активного руководителя")
    assert Stage.objects.get(pk=stage_id).owner_team_id is None
    assert_accessible(page)
    page.locator("#id_owner_mode").select_option("round_robin")
    screenshot(page, "stage-owner-round-robin")
    page.locator(".stage-form-actions button[type=submit]").click()

    expect(page.locator(".msg-success")).to_be_visible()
    saved = page.locator(f'#stage-list .stage-card[data-id="{stage_id}"]')
    expect(saved.locator(".stage-facts")).to_contain_text("команда «Отдел продаж 2»: По очереди")
    stage = Stage.objects.get(pk=stage_id)
    assert (stage.owner_team.name, stage.owner_mode, stage.owner_user_id) == ("Отдел продаж 2", "round_robin", None)
    saved.locator(".stage-name").click()
    expect(page.locator("#id_owner_mode")).to_have_value("round_robin")
    expect(page.locator("#id_owner_team option:checked")).to_have_text("Отдел продаж 2")
