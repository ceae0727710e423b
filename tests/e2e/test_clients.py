"""Client list and client card in a real browser: contacts, deals, timeline, qualification, refusal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def _open_card(page, live_server, name="ООО Ромашка"):
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/clients/")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(re.compile(r"/clients/\d+/$"))


def test_the_client_list_filters_and_is_accessible(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    page.click(".mainnav a[href='/clients/']")
    rows = page.locator(".clients-table tbody tr")
    expect(rows).to_have_count(3)
    assert_accessible(page)
    screenshot(page, "client-list")
    page.fill("#id_q", "916 123")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ООО Ромашка")
    assert "q=916" in page.url  # the filter is in the address, so it can be shared and reloaded
    page.fill("#id_q", "")
    page.select_option("#id_status", "refused")
    expect(page.locator(".tabs a[aria-current=page]")).to_have_attribute("href", "/clients/?status=refused")
    expect(page.locator("#client-results .empty")).to_be_visible()


def test_the_client_card_shows_deals_timeline_and_takes_a_contact_and_answers(page, live_server, e2e_data):
    _open_card(page, live_server)
    expect(page.locator("h1")).to_have_text("ООО Ромашка")
    expect(page.locator("#client-deals")).to_contain_text("ООО Ромашка: перевод сайта")
    expect(page.locator("#tasks-panel")).to_contain_text("Позвонить ООО Ромашка")
    expect(page.locator("#client-timeline-list .tl-entry")).not_to_have_count(0)

    # the Complete button opens the activities dialog
    page.locator("#tasks-panel [data-complete]").first.click()
    expect(page.locator("#modal-root dialog[open]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#modal-root dialog[open]")).to_have_count(0)

    # a contact person (htmx swaps the section)
    page.locator("#contacts-panel summary").click()
    page.fill("#contact_contact_name", "Пётр Смирнов")
    page.fill("#contact_contact_phone", "8 903 123 45 67")
    page.fill("#contact_contact_position", "Директор")
    page.locator("#contacts-panel button[type=submit]").click()
    expect(page.locator("#contacts-panel .contacts")).to_contain_text("Пётр Смирнов")
    expect(page.locator("#contacts-panel .contacts")).to_contain_text("+7 903 123-45-67")

    # qualification answers
    answers = page.locator("#qualification-panel textarea")
    assert answers.count() >= 2
    answers.nth(0).fill("Переводим сайт и каталог на 3 языка")
    answers.nth(1).fill("Английский, немецкий, китайский; 200 страниц в месяц")
    page.locator("#qualification-panel button[type=submit]").click()
    expect(page.locator("#qualification-panel .saved")).to_be_visible()
    expect(page.locator("#qualification-panel .count")).to_contain_text("2/")

    # a note on the timeline
    page.select_option("#client-timeline-kind", "call")
    page.fill("#client-timeline-body", "Дозвонились, ждут КП до пятницы")
    page.locator("#timeline-panel .timeline-form button[type=submit]").click()
    expect(page.locator("#client-timeline-list .tl-entry").first).to_contain_text("Дозвонились, ждут КП до пятницы")

    page.reload()
    expect(page.locator("#contacts-panel")).to_contain_text("Пётр Смирнов")
    assert_accessible(page)
    screenshot(page, "client-card")

    from voronka.clients.models import QualificationAnswer

    assert QualificationAnswer.objects.filter(client=e2e_data.clients[0]).count() == 2


def test_completing_a_task_from_the_card_refreshes_tasks_and_timeline(page, live_server, e2e_data):
    import datetime as dt

    from django.utils import timezone

    _open_card(page, live_server, "АО Вектор")
    expect(page.locator("#client-tasks .done-tasks")).to_have_count(0)
    page.locator("#client-tasks [data-complete]").first.click()
    dialog = page.locator("#modal-root dialog[open]")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=outcome][value=postpone]").check()
    dialog.locator("textarea[name=comment]").fill("Просили перезвонить завтра")
    dialog.locator("input[name=postpone_to]").fill((timezone.localdate() + dt.timedelta(days=1)).isoformat())
    dialog.locator("button[type=submit]").first.click()
    expect(page.locator("#modal-root dialog[open]")).to_have_count(0)
    expect(page.locator("#client-tasks .done-tasks")).to_be_visible()
    expect(page.locator("#client-timeline-list")).to_contain_text("Просили перезвонить завтра")


def test_editing_shows_field_errors_then_saves(page, live_server, e2e_data):
    _open_card(page, live_server, "АО Вектор")
    page.locator(".card-actions").get_by_role("link", name=re.compile("Edit|Изменить|Редактировать")).click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.locator("#id_inn").fill("123")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog[open] .field-error #id_inn")).to_be_visible()
    assert_accessible(page)
    page.locator("dialog[open] #id_inn").fill("7701234567")
    page.locator("dialog[open] #id_rating").select_option("A")
    page.locator("dialog[open] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".card-side")).to_contain_text("7701234567")
    expect(page.locator(".card-head .rating")).to_have_text("A")


def test_refusal_needs_a_reason_and_lands_on_the_refusal_list(page, live_server, e2e_data):
    _open_card(page, live_server, "ИП Сидоров")
    page.locator(".card-actions .btn-outline-danger").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog[open] .field-error #refuse_lost_reason")).to_be_visible()
    page.locator("dialog[open] #refuse_lost_reason").select_option(index=1)
    page.locator("dialog[open] #refuse_comment").fill("Выбрали другого подрядчика")
    page.locator("dialog[open] button[type=submit]").click()
    # the client has an open deal: the dialog lists it and asks whether to lose or keep it
    deal = next(d for d in e2e_data.deals if d.client.name == "ИП Сидоров")
    open_deals = page.locator("dialog[open] [data-open-deals]")
    expect(open_deals.locator(".errorlist")).to_be_visible()
    expect(open_deals).to_contain_text(deal.title)
    open_deals.locator("input[name=open_deals][value=lose]").check()
    page.locator("dialog[open] button[type=submit]").click()
    expect(page.locator(".refusal-banner")).to_contain_text("Выбрали другого подрядчика")
    deal.refresh_from_db()
    assert (deal.status, deal.lost_comment) == ("lost", "Выбрали другого подрядчика")
    page.goto(f"{live_server.url}/clients/?status=refused")
    expect(page.locator(".clients-table tbody tr")).to_have_count(1)
    expect(page.locator(".clients-table")).to_contain_text("ИП Сидоров")


def test_the_quick_add_form_is_accessible(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/leads/new/")
    assert_accessible(page)


def test_the_client_card_fits_a_phone(page, live_server, e2e_data):
    page.set_viewport_size({"width": 375, "height": 812})
    _open_card(page, live_server)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 376, f"the card scrolls sideways at 375px: {width}px"
    screenshot(page, "client-card-phone")
    page.goto(f"{live_server.url}/leads/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 376
    screenshot(page, "quick-add-phone")
