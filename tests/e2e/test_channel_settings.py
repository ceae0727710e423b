"""Settings › Telephony and Settings › Mailbox in a real browser: a token and its webhook address, the mailbox
saved with its password kept and never shown, and "Test connection" saying what failed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot
from voronka.integrations.models import MailboxSettings, TelephonySettings

pytestmark = pytest.mark.e2e


def test_admin_sets_up_telephony_and_the_mailbox(page, live_server, e2e_data, settings):
    settings.VORONKA_IMAP_HOST = settings.VORONKA_IMAP_PASSWORD = settings.VORONKA_MAIL_ASSIGNEE = ""
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/settings/telephony/")
    expect(page.locator("#telephony-no-token")).to_be_visible()
    page.locator("#telephony-regenerate").click()
    token = TelephonySettings.objects.get().token
    expect(page.locator("#telephony-endpoint")).to_contain_text(f"/integrations/telephony/{token}/")
    screenshot(page, "settings-telephony")
    assert_accessible(page)

    page.get_by_role("link", name="Почтовый ящик").click()
    page.locator("#id_enabled").check()
    page.fill("#id_host", "127.0.0.1")
    page.fill("#id_port", "1")
    page.locator("#id_use_ssl").uncheck()
    page.fill("#id_username", "sales@example.ru")
    page.fill("#id_password", "Секрет-42")
    page.select_option("#id_assignee", value=str(e2e_data.manager.pk))
    page.locator("#mailbox-test").click()
    expect(page.locator(".field-error")).to_contain_text("127.0.0.1:1")
    assert not MailboxSettings.objects.exists()  # a test saves nothing
    page.fill("#id_password", "Секрет-42")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#password-stored")).to_be_visible()
    expect(page.locator("#id_password")).to_have_value("")
    assert "Секрет-42" not in page.content()
    row = MailboxSettings.objects.get()
    assert (row.enabled, row.host, row.port, row.password) == (True, "127.0.0.1", 1, "Секрет-42")
    screenshot(page, "settings-mailbox")
    assert_accessible(page)
