"""Sign-in, language switch and password change in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_login_shows_error_for_wrong_password_then_signs_in(page, live_server, e2e_data):
    page.goto(f"{live_server.url}/login/")
    assert_accessible(page)
    page.fill("#id_username", "manager1")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit].btn-primary")
    expect(page.locator(".form-errors")).to_be_visible()
    screenshot(page, "login-error")
    login(page, live_server, "manager1")
    expect(page).to_have_url(re.compile(r"/reports/dashboard/$"))  # sign-in lands on the role's dashboard
    expect(page.locator(".topbar")).to_contain_text("Manager1")


def test_language_switch_changes_the_interface_and_is_remembered(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    expect(page.locator(".mainnav")).to_contain_text("Мой день")
    page.click(".usermenu summary")
    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    expect(page.locator(".mainnav")).to_contain_text("My day")
    screenshot(page, "my-day-en")
    # The choice is stored on the user: a new session keeps it.
    page.context.clear_cookies()
    login(page, live_server, "manager1")
    expect(page.locator(".mainnav")).to_contain_text("My day")
    page.click(".usermenu summary")
    with page.expect_navigation():
        page.select_option("#lang-select", "ru")
    expect(page.locator(".mainnav")).to_contain_text("Мой день")


def test_password_change_then_log_out_and_in_with_the_new_password(page, live_server, e2e_data):
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/password/")
    page.fill("#id_old_password", "demo")
    page.fill("#id_new_password1", "short")
    page.fill("#id_new_password2", "short")
    page.click("main button[type=submit]")
    expect(page.locator("main .errorlist")).to_be_visible()
    assert_accessible(page)
    page.fill("#id_old_password", "demo")
    page.fill("#id_new_password1", "Voronka-2026-sales")
    page.fill("#id_new_password2", "Voronka-2026-sales")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/password/" not in url)
    page.click(".usermenu summary")
    page.click(".usermenu form[action$='/logout/'] button")
    page.wait_for_url(lambda url: "/login/" in url)
    login(page, live_server, "manager1", "Voronka-2026-sales")
    expect(page.locator(".topbar")).to_be_visible()
