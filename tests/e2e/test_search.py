"""Global search in a real browser: phone in another format, live dropdown, duplicates of colleagues."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_phone_in_another_format_finds_the_client(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    box = page.locator("#global-search")
    box.fill("8 (916) 123-45-67")
    dropdown = page.locator("#search-dropdown")
    expect(dropdown).to_contain_text("ООО Ромашка")  # live results while typing
    assert_accessible(page)
    screenshot(page, "search-dropdown")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    clients = page.locator("section[aria-labelledby=sg-clients]")
    expect(clients.locator(".result-row")).to_have_count(1)
    expect(clients).to_contain_text("ООО Ромашка")
    expect(page.locator("section[aria-labelledby=sg-deals]")).to_contain_text("ООО Ромашка: перевод сайта")
    assert_accessible(page)
    screenshot(page, "search")
    clients.get_by_role("link", name="ООО Ромашка").click()
    expect(page).to_have_url(re.compile(rf"/clients/{e2e_data.clients[0].pk}/"))


def test_a_colleagues_client_is_named_but_not_linked(page, live_server, e2e_data):
    login(page, live_server, "manager4")
    page.locator("#global-search").fill("+7 903 111 22 33")
    page.locator("#global-search").press("Enter")
    elsewhere = page.locator(".search-elsewhere")
    expect(elsewhere).to_contain_text("АО Вектор")
    expect(elsewhere).to_contain_text("Manager1")
    expect(elsewhere.locator("a")).to_have_count(0)
    expect(page.locator("section[aria-labelledby=sg-clients] .result-row")).to_have_count(0)
    screenshot(page, "search-elsewhere")
