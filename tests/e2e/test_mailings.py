"""Email templates in Settings and a send from the deal page with its preview, in a real browser; the email
arrives at a real local SMTP server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_admin_edits_an_email_template_and_an_unknown_variable_is_refused(page, live_server, e2e_data):
    from voronka.mailings.models import EmailTemplate

    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/settings/mail/templates/")
    screenshot(page, "mail-templates")
    assert_accessible(page)
    page.get_by_test_id("template-new").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("#id_name").fill("Приглашение на демо")
    dialog.locator("#id_subject").fill("{{ client.name }}: приглашаем на демо")
    dialog.locator("#id_body").fill("Здравствуйте, {{ contact.nmae }}!")
    dialog.locator("button[type=submit]").first.click()
    expect(page.locator("dialog[open] .errorlist")).to_contain_text("contact.nmae")
    page.locator("dialog[open] #id_body").fill("Здравствуйте, {{ contact.name }}! Ваш менеджер {{ manager.name }}.")
    screenshot(page, "mail-template-edit")
    page.locator("dialog[open] button[type=submit]").first.click()
    expect(page.get_by_role("link", name="Приглашение на демо")).to_be_visible()
    template = EmailTemplate.objects.get(name="Приглашение на демо")
    assert template.body.startswith("Здравствуйте, {{ contact.name }}!")


def test_manager_previews_and_sends_a_template_from_the_deal_page(page, live_server, e2e_data, smtp_server):
    from voronka.mailings.services import create_template

    create_template(actor=e2e_data.admin, name="Коммерческое предложение", subject="КП для {{ client.name }}",
                    body="Здравствуйте! Сделка: {{ deal.title }}. {{ manager.name }}")
    deal = e2e_data.deals[0]
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    page.get_by_test_id("deal-send-email").click()
    dialog = page.get_by_test_id("send-dialog")
    dialog.locator("#id_template").select_option(label="Коммерческое предложение (ru)")
    dialog.get_by_role("button", name="Предпросмотр").click()
    preview = page.get_by_test_id("email-preview")
    expect(preview).to_contain_text("КП для ООО Ромашка")
    expect(preview).to_contain_text("info0@example.ru")
    screenshot(page, "deal-send-preview")
    assert_accessible(page)
    page.get_by_test_id("email-send").click()
    page.wait_for_url(f"**/deals/{deal.pk}/")
    [message] = smtp_server.wait(1)
    assert message["To"] == "info0@example.ru"
    assert "ООО Ромашка: перевод сайта" in message.get_payload(decode=True).decode()
    expect(page.locator("#deal-timeline-wrap")).to_contain_text("КП для ООО Ромашка")
