"""The manager's workplace, second pass (issue 11): calls where the phone is, the board's card and column
details, and no page wider than a 390 px phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_call_from_my_day_and_log_the_call_when_completing(page, live_server, e2e_data):
    from voronka.activities.models import Activity

    deal = e2e_data.deals[1]  # today's call of АО Вектор
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/my-day/")  # sign-in lands on the dashboard
    row = page.locator("[data-task-row]", has_text="Позвонить АО Вектор")
    expect(row.locator("a[data-tel]")).to_have_attribute("href", "tel:+79031112233")
    expect(row.locator("a[data-mailto]")).to_have_attribute("href", "mailto:info1@example.ru")
    row.locator("[data-complete]").click()
    dialog = page.locator("#modal-root dialog[open]")
    expect(dialog.get_by_test_id("task-contact").locator("a[data-tel]")).to_have_attribute("href", "tel:+79031112233")
    expect(dialog.locator("input[name=log_call]")).to_be_checked()
    dialog.locator("input[name=outcome][value=postpone]").check()
    dialog.locator("#id_comment").fill("Не дозвонился, перезвоню")
    dialog.locator("[data-fill-field=postpone_to]").first.click()
    screenshot(page, "complete-call-dialog")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("#modal-root dialog")).to_have_count(0)
    call = Activity.objects.get(deal=deal, kind="call")
    assert call.body == "Не дозвонился, перезвоню"
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.get_by_test_id("deal-contact").locator("a[data-tel]")).to_have_attribute("href", "tel:+79031112233")
    expect(page.locator(".timeline")).to_contain_text("Не дозвонился, перезвоню")


def test_board_cards_and_columns(page, live_server, e2e_data):
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/board/")
    card = page.locator(f"#card-{e2e_data.deals[0].pk}")
    expect(card.locator("a.kcard-tel")).to_have_attribute("href", "tel:+79161234567")
    expect(card.locator("[data-next-kind]")).to_have_text("Звонок")
    expect(card.locator(".kcard-owner")).to_be_hidden()  # his own board
    expect(page.get_by_test_id("weighted").first).to_contain_text("≈")
    widths = page.locator(".kcol").evaluate_all("cols => cols.map(c => Math.round(c.getBoundingClientRect().width))")
    assert len(set(widths)) == 1, widths
    screenshot(page, "board-manager-1440")
    page.context.clear_cookies()
    login(page, live_server, "lead1")
    page.goto(f"{live_server.url}/board/")
    expect(page.locator(f"#card-{e2e_data.deals[0].pk} .kcard-owner")).to_be_visible()


MAIN_PAGES = ["/my-day/", "/tasks/", "/board/", "/deals/", "/clients/", "/leads/new/", "/search/?q=Ромашка",
              "/reports/", "/notifications/"]


# The elements sticking out on the right (for the failure message): tag, classes, right edge.
WIDEST = """() => Array.from(document.querySelectorAll('body *')).filter(e => {
  const r = e.getBoundingClientRect(); return r.right > window.innerWidth + 1 && r.width > 0;
}).slice(-6).map(e => `${e.tagName}.${e.className}:${Math.round(e.getBoundingClientRect().right)}`)"""

SETTINGS_PAGES = ["/settings/", "/settings/pipelines/", "/settings/fields/", "/settings/dictionaries/",
                  "/settings/questions/", "/settings/users/", "/settings/teams/", "/settings/access/",
                  "/settings/audit/"]


@pytest.mark.parametrize("username", ["manager1", "head", "admin"])
def test_no_main_page_is_wider_than_a_phone(page, live_server, e2e_data, username):
    from voronka.pipelines.models import Pipeline

    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, username)
    pages = [*MAIN_PAGES, f"/deals/{e2e_data.deals[0].pk}/", f"/clients/{e2e_data.clients[0].pk}/"]
    if username == "admin":
        pages += [*SETTINGS_PAGES, f"/settings/pipelines/{Pipeline.objects.get(slug='inbound').pk}/"]
    wide = {}
    for path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            wide[path] = [*width, page.evaluate(WIDEST)]
    assert not wide, wide
    page.goto(f"{live_server.url}/deals/{e2e_data.deals[0].pk}/")
    screenshot(page, f"deal-page-390-{username}")
    assert_accessible(page)


@pytest.mark.parametrize("width", [1440, 390])
def test_error_pages_in_the_layout_with_a_way_back(page, live_server, e2e_data, width):
    page.set_viewport_size({"width": width, "height": 860})
    login(page, live_server, "manager1")
    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    expect(page.get_by_test_id("error-page")).to_contain_text("Страница не найдена")
    expect(page.locator(".topbar")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    screenshot(page, f"error-404-{width}")
    page.get_by_test_id("error-page").locator("a.btn-primary").click()
    expect(page).to_have_url(f"{live_server.url}/my-day/")
    icon = page.evaluate("document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).status == 200


@pytest.mark.parametrize("width", [1440, 390])
def test_markdown_instructions_and_a_long_word_on_the_deal_page(page, live_server, e2e_data, width):
    from voronka.activities.services import add_timeline_entry

    deal = e2e_data.deals[0]
    stage = deal.stage
    stage.instructions = "1. **Уточнить** бюджет\n2. Назначить демо\n\n<script>window.pwned = 1</script>"
    stage.save(update_fields=["instructions"])
    add_timeline_entry(actor=e2e_data.manager, kind="note", deal=deal, body="Ссылка: " + "ы" * 400)
    page.set_viewport_size({"width": width, "height": 860})
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.locator(".instructions-body ol li strong").first).to_have_text("Уточнить")
    assert page.evaluate("window.pwned === undefined")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"deal-markdown-{width}")


@pytest.mark.parametrize("width", [1440, 390])
def test_quick_add_shows_a_duplicate_while_typing(page, live_server, e2e_data, width):
    page.set_viewport_size({"width": width, "height": 860})
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/leads/new/")
    expect(page.get_by_test_id("live-duplicate-box")).to_have_count(0)
    page.locator("#id_phone").press_sequentially("8 916 123 45 67", delay=20)
    box = page.get_by_test_id("live-duplicate-box")
    expect(box).to_be_visible()
    expect(box).to_contain_text("ООО Ромашка")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"quick-add-live-duplicate-{width}")
    box.get_by_role("button").first.click()  # add the deal to this client instead
    expect(page.locator(".existing-client")).to_contain_text("ООО Ромашка")


def test_desktop_deal_list_shows_twenty_rows_and_every_column(page, live_server, e2e_data):
    import datetime as dt

    from django.utils import timezone

    from voronka.catalog.models import Channel, Source
    from voronka.deals.services import create_deal

    deal0 = e2e_data.deals[0]
    source, channel = Source.objects.first(), Channel.objects.first()
    for i in range(22):
        create_deal(actor=e2e_data.manager, title=f"Сделка с длинным названием номер {i}", pipeline=deal0.pipeline,
                    client=e2e_data.clients[i % 3], values={"source": source.pk, "channel": channel.pk},
                    first_task={"title": "Позвонить", "due_date": timezone.localdate() + dt.timedelta(days=1)})
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/deals/")
    rows = page.locator("[data-deal-row]")
    expect(rows).to_have_count(25)
    visible = page.evaluate("""() => Array.from(document.querySelectorAll('[data-deal-row]'))
        .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length""")
    wrap = page.locator(".deal-table").evaluate("t => [t.scrollWidth, t.parentElement.clientWidth]")
    screenshot(page, "deal-list-1440")
    assert wrap[0] <= wrap[1], wrap  # no column cut off
    assert visible >= 20, visible


def test_the_deal_list_becomes_cards_on_a_phone(page, live_server, e2e_data):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/deals/")
    row = page.locator("[data-deal-row]").first
    expect(row).to_be_visible()
    assert row.evaluate("r => getComputedStyle(r).display") == "block"  # a card, not a table row
    assert page.locator(".deal-table thead").evaluate("h => h.getBoundingClientRect().height") <= 1
    box = row.bounding_box()
    assert box["width"] >= 300 and box["width"] <= 390, box  # a card the width of the screen
    label = row.locator("td[data-label]").first.evaluate("c => getComputedStyle(c, '::before').content")
    assert label.strip('"') in ("Клиент", "Client"), label
    expect(row.locator(".col-title a")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    screenshot(page, "deal-list-cards-390")
