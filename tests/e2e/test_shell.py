"""Sign-in, language switch and password change in a real browser."""

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
