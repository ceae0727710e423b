"""The kanban board and the deal list in a real browser: drag and drop with SortableJS, the required-fields
dialog, Won/Lost drop zones, filters in the URL, the keyboard Move dialog, phone width, accessibility."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, fill_required, login, screenshot

pytestmark = pytest.mark.e2e


def board_url(live_server, slug="inbound", query=""):
    return f"{live_server.url}/pipelines/{slug}/board/{query}"


def stage_of(slug_or_position, pipeline="inbound"):
    from voronka.pipelines.models import Stage

    qs = Stage.objects.filter(pipeline__slug=pipeline).order_by("position", "id")
    return qs[slug_or_position] if isinstance(slug_or_position, int) else qs.get(slug=slug_or_position)


def drag(page, source, target) -> None:
    """A real mouse drag (SortableJS runs in fallback mode, so synthetic mouse moves work)."""
    source.scroll_into_view_if_needed()
    box = source.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 20)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 8, steps=4)
    target_box = target.bounding_box()
    tx, ty = target_box["x"] + target_box["width"] / 2, target_box["y"] + min(target_box["height"] / 2, 40)
    page.mouse.move(tx, ty, steps=25)
    page.wait_for_timeout(150)
    page.mouse.move(tx + 2, ty + 2, steps=2)
    page.mouse.up()


def column(page, stage):
    return page.locator(f"#col-{stage.pk}")


def count_of(page, stage):
    return column(page, stage).locator(".kcount")


def test_drag_into_a_stage_with_required_fields_asks_for_exactly_them(page, live_server, e2e_data):
    from voronka.clients.services import add_contact
    from voronka.deals.rules import missing_required_fields

    deal = e2e_data.deals[0]
    add_contact(actor=e2e_data.manager, client=deal.client, name="Анна Петрова", phone="+79160000001")
    first, second = stage_of(0), stage_of(1)
    expected = missing_required_fields(deal, second)
    assert expected  # the seed stage asks for contact, industry, region, audience, employees, languages

    login(page, live_server, "manager1")
    page.goto(board_url(live_server))
    expect(count_of(page, first)).to_have_text("3")
    screenshot(page, "board")
    assert_accessible(page)

    drag(page, page.locator(f"#card-{deal.pk}"), column(page, second).locator(".kcards"))
    dialog = page.locator("dialog.fields-dialog")
    expect(dialog).to_be_visible()
    keys = dialog.locator("[data-required-field]").evaluate_all("els => els.map(e => e.dataset.requiredField)")
    assert keys == expected
    screenshot(page, "board-required-fields-modal")
    assert_accessible(page)

    fill_required(dialog)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_have_count(0)
    expect(column(page, second).locator(f"#card-{deal.pk}")).to_be_visible()
    expect(count_of(page, second)).to_have_text("1")
    expect(count_of(page, first)).to_have_text("2")
    deal.refresh_from_db()
    assert deal.stage_id == second.pk


def test_a_drag_that_skips_stages_asks_for_the_fields_of_every_stage_passed_in_one_dialog(
        page, live_server, e2e_data):
    from voronka.clients.services import add_contact
    from voronka.deals.rules import fields_required_for_move, missing_fields

    deal = e2e_data.deals[0]
    add_contact(actor=e2e_data.manager, client=deal.client, name="Анна Петрова", phone="+79160000001")
    first, third, fourth = stage_of(0), stage_of(2), stage_of(3)
    expected = missing_fields(deal, fields_required_for_move(deal, fourth))
    own_only = set(missing_fields(deal, fourth.required_fields))
    assert own_only < set(expected)  # stages 2 and 3 add fields stage 4 alone would not ask for
    assert set(missing_fields(deal, third.required_fields)) <= set(expected)

    login(page, live_server, "manager1")
    page.goto(board_url(live_server))
    drag(page, page.locator(f"#card-{deal.pk}"), column(page, fourth).locator(".kcards"))
    dialogs = page.locator("dialog.fields-dialog")
    expect(dialogs).to_have_count(1)
    dialog = dialogs.first
    keys = dialog.locator("[data-required-field]").evaluate_all("els => els.map(e => e.dataset.requiredField)")
    assert keys == expected
    screenshot(page, "board-skip-stages-modal")
    fill_required(dialog)
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(column(page, fourth).locator(f"#card-{deal.pk}")).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage_id == fourth.pk and first.pk != fourth.pk


def test_cancelling_the_dialog_puts_the_card_back(page, live_server, e2e_data):
    deal = e2e_data.deals[1]
    first, second = stage_of(0), stage_of(1)
    login(page, live_server, "manager1")
    page.goto(board_url(live_server))
    drag(page, page.locator(f"#card-{deal.pk}"), column(page, second).locator(".kcards"))
    dialog = page.locator("dialog.fields-dialog")
    expect(dialog).to_be_visible()
    expect(column(page, second).locator(f"#card-{deal.pk}")).to_be_visible()
    dialog.locator(".form-actions [data-close-dialog]").click()
    expect(column(page, first).locator(f"#card-{deal.pk}")).to_be_visible()
    expect(count_of(page, first)).to_have_text("3")
    deal.refresh_from_db()
    assert deal.stage_id == first.pk


def test_drop_on_won_asks_for_the_amount_and_on_lost_for_the_reason(page, live_server, e2e_data):
    from voronka.clients.services import add_contact

    won, lost = e2e_data.deals[0], e2e_data.deals[1]
    add_contact(actor=e2e_data.manager, client=won.client, name="Анна Петрова", phone="+79160000001")
    first = stage_of(0)
    login(page, live_server, "manager1")
    page.goto(board_url(live_server))

    drag(page, page.locator(f"#card-{won.pk}"), page.locator(".kdrop-won"))
    dialog = page.locator("dialog.win-dialog")
    expect(dialog).to_be_visible()
    amount = dialog.locator("#win-amount")
    expect(amount).to_have_value(re.compile(r"^100000"))
    amount.fill("")
    dialog.locator("button[type=submit]").click()
    expect(page.locator('dialog.win-dialog [data-required-field="amount"] .errorlist')).to_be_visible()
    page.locator("#win-amount").fill("125000")
    fill_required(page.locator("dialog.win-dialog"))  # a win passes every remaining stage: their fields too
    price = page.locator("dialog.win-dialog [name=lines_price]")
    if price.count():  # a later stage requires product lines: the amount becomes their total
        page.locator("dialog.win-dialog [name=lines_quantity]").fill("1")
        price.fill("125000")
    page.locator("dialog.win-dialog").locator("button[type=submit]").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(page.locator(f"#card-{won.pk}")).to_have_count(0)
    expect(count_of(page, first)).to_have_text("2")

    drag(page, page.locator(f"#card-{lost.pk}"), page.locator(".kdrop-lost"))
    dialog = page.locator("dialog.lose-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator(f"#card-{lost.pk}")).to_be_visible()  # back in its column until confirmed
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog.lose-dialog .errorlist")).to_be_visible()
    page.locator("dialog.lose-dialog select").select_option(index=1)
    page.locator("dialog.lose-dialog textarea").fill("Дорого")
    page.locator("dialog.lose-dialog").locator("button[type=submit]").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(page.locator(f"#card-{lost.pk}")).to_have_count(0)
    expect(count_of(page, first)).to_have_text("1")
    won.refresh_from_db()
    lost.refresh_from_db()
    assert (won.status, str(won.amount)) == ("won", "125000.00")
    assert lost.status == "lost" and lost.lost_comment == "Дорого"


def test_keyboard_move_dialog(page, live_server, e2e_data):
    deal = e2e_data.deals[2]
    login(page, live_server, "manager1")
    page.goto(board_url(live_server))
    page.locator(f"#card-{deal.pk} .kcard-move").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.move-dialog")
    expect(dialog).to_be_visible()
    dialog.locator(".move-stage").nth(1).click()
    expect(page.locator("dialog.fields-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog")).to_have_count(0)
    expect(column(page, stage_of(0)).locator(f"#card-{deal.pk}")).to_be_visible()


def test_filters_live_in_the_url(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    page.goto(board_url(live_server, query="?overdue=1"))
    expect(page.locator("article.kcard")).to_have_count(1)
    expect(page.locator(f"#card-{e2e_data.deals[0].pk} .flag-overdue")).to_be_visible()
    expect(page.locator("input[name=overdue]")).to_be_checked()
    screenshot(page, "board-filtered")
    # switching pipelines keeps the filters
    page.locator(".pipeline-tabs a").nth(1).click()
    page.wait_for_url(re.compile(r"overdue=1"))
    # unticking and applying drops the filter from the URL
    page.goto(board_url(live_server, query="?overdue=1"))
    page.locator("input[name=overdue]").uncheck()
    page.locator(".filters button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("article.kcard")).to_have_count(3)
    assert "overdue" not in page.url


def test_board_on_a_phone_scrolls_horizontally(browser, live_server, e2e_data):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="ru-RU")
    page = context.new_page()
    try:
        login(page, live_server, "manager1")
        page.goto(board_url(live_server))
        expect(page.locator("article.kcard").first).to_be_visible()
        sizes = page.locator("#kboard").evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert sizes[0] > sizes[1]
        assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
        screenshot(page, "board-phone")
    finally:
        context.close()


def test_deal_list_sorts_filters_and_is_accessible(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/deals/")
    expect(page.locator("table.deal-table tbody tr")).to_have_count(3)
    page.locator("th a[href*='o=amount']").click()
    page.wait_for_url(re.compile(r"o=amount"))
    first_row = page.locator("table.deal-table tbody tr").first
    expect(first_row).to_contain_text("100")
    screenshot(page, "deal-list")
    assert_accessible(page)
    page.goto(f"{live_server.url}/deals/?q=вектор")
    expect(page.locator("table.deal-table tbody tr")).to_have_count(1)


def test_a_long_column_loads_more_cards_on_scroll(page, live_server, e2e_data):
    from voronka.catalog.models import Channel, Source
    from voronka.deals.services import create_deal
    from voronka.pipelines.models import Pipeline

    inbound = Pipeline.objects.get(slug="inbound")
    client = e2e_data.clients[0]
    values = {"source": Source.objects.first().pk, "channel": Channel.objects.first().pk}
    for i in range(55):
        create_deal(actor=e2e_data.manager, title=f"Пакет {i:02d}", pipeline=inbound, client=client,
                    values=values,
                    first_task={"title": "Позвонить", "kind": "call", "due_date": "2030-01-01"})
    first = stage_of(0)
    login(page, live_server, "manager1")
    page.goto(board_url(live_server))
    cards = column(page, first).locator("article.kcard")
    expect(cards).to_have_count(50)
    expect(count_of(page, first)).to_have_text("58")
    column(page, first).locator(".kmore").scroll_into_view_if_needed()
    expect(cards).to_have_count(58)
    expect(column(page, first).locator(".kmore")).to_have_count(0)
