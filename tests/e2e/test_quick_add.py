"""Quick add lead in a real browser: a plain new lead, and a duplicate phone typed in another format."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def _open_form(page, live_server):
    login(page, live_server, "manager1")
    page.click("header .quick-add")
    page.wait_for_url(re.compile(r"/leads/new/$"))


def _fill_lead(page, *, name: str, phone: str):
    page.fill("#id_name", name)
    page.fill("#id_phone", phone)
    page.select_option("#id_source", index=1)
    page.select_option("#id_channel", index=1)


def _deal_of(client_name: str):
    from voronka.deals.models import Deal

    return Deal.objects.filter(client__name=client_name).order_by("-id").first()


def test_a_plain_new_lead_lands_on_its_deal(page, live_server, e2e_data):
    _open_form(page, live_server)
    assert_accessible(page)
    _fill_lead(page, name="ООО Новые Горизонты", phone="+7 903 000-11-22")
    expect(page.locator("#id_title")).to_have_value("ООО Новые Горизонты")  # follows the name
    page.fill("#id_contact_name", "Мария Иванова")
    page.fill("#id_amount", "250 000")
    expect(page.locator("#id_task_due_date")).not_to_have_value("")
    screenshot(page, "quick-add")
    page.click("#quick-add-submit")
    page.wait_for_url(lambda url: "/leads/new/" not in url)
    deal = _deal_of("ООО Новые Горизонты")
    assert deal is not None and deal.amount == 250000
    assert deal.client.phone == "+79030001122" and deal.tasks.filter(status="open").exists()
    assert re.search(rf"/(deals/{deal.pk}|clients/{deal.client_id})/$", page.url), page.url
    expect(page.locator(".msg-success")).to_be_visible()


def test_missing_source_shows_field_errors(page, live_server, e2e_data):
    _open_form(page, live_server)
    page.fill("#id_name", "ООО Без источника")
    page.click("#quick-add-submit")
    expect(page.locator(".field-error #id_source")).to_be_visible()
    expect(page.locator(".field-error #id_channel")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("ООО Без источника")
    assert _deal_of("ООО Без источника") is None


def test_a_duplicate_phone_warns_and_adds_the_deal_to_the_existing_client(page, live_server, e2e_data):
    romashka = e2e_data.clients[0]
    _open_form(page, live_server)
    _fill_lead(page, name="Ромашка, новая заявка", phone="8 (916) 123-45-67")
    page.fill("#id_title", "Ромашка: перевод каталога")
    page.click("#quick-add-submit")
    box = page.locator(".duplicate-box")
    expect(box).to_be_visible()
    expect(box.get_by_role("link", name="ООО Ромашка")).to_have_attribute("href", f"/clients/{romashka.pk}/")
    screenshot(page, "quick-add-duplicate")
    assert_accessible(page)
    box.locator(f"button[name=existing_client][value='{romashka.pk}']").click()
    page.wait_for_url(lambda url: "/leads/new/" not in url)
    deal = _deal_of("ООО Ромашка")
    assert deal.title == "Ромашка: перевод каталога"
    from voronka.clients.models import Client

    assert not Client.objects.filter(name="Ромашка, новая заявка").exists()
    expect(page.locator(".msg-success")).to_be_visible()


def test_a_duplicate_phone_can_be_created_anyway(page, live_server, e2e_data):
    _open_form(page, live_server)
    _fill_lead(page, name="ООО Ромашка-2", phone="8 (916) 123-45-67")
    page.click("#quick-add-submit")
    expect(page.locator(".duplicate-box")).to_be_visible()
    # Enter in a field submits the form plainly (the warning again), never "add to the existing client"
    with page.expect_navigation():
        page.locator("#id_name").press("Enter")
    expect(page.locator(".duplicate-box")).to_be_visible()
    assert _deal_of("ООО Ромашка").title == "ООО Ромашка: перевод сайта"
    page.click("button[name=allow_duplicate]")
    page.wait_for_url(lambda url: "/leads/new/" not in url)
    from voronka.clients.models import Client

    assert Client.objects.filter(phone="+79161234567").count() == 2
    assert _deal_of("ООО Ромашка-2") is not None


def test_required_fields_are_marked_before_the_first_submit_and_follow_the_pipeline(page, live_server, e2e_data):
    from voronka.accounts.models import User
    from voronka.pipelines.models import Stage
    from voronka.pipelines.selectors import first_stage_required, list_pipelines

    pipelines = list(list_pipelines(actor=User.objects.get(username="manager1")))
    required = first_stage_required(pipelines)
    inbound = next(p for p in pipelines if p.kind == "inbound")
    assert any("source" in key for key in required[inbound.pk]), required  # the demo's rule: source, channel
    other = next(p for p in pipelines if p.pk != inbound.pk)
    first = Stage.objects.filter(pipeline=other, is_archived=False).order_by("position", "id").first()
    first.required_fields = []
    first.save(update_fields=["required_fields"])
    _open_form(page, live_server)
    for name in ("name", "source", "channel", "task_title", "task_due_date"):
        expect(page.locator(f'label[for="id_{name}"] .req')).to_have_text("*")
    for name in ("source", "channel"):
        expect(page.locator(f"#id_{name}")).to_have_attribute("aria-required", "true")
    expect(page.locator("#id_name")).to_have_attribute("aria-required", "true")
    expect(page.locator('label[for="id_region"] .req')).to_have_count(0)
    screenshot(page, "quick-add-required-marks")
    page.select_option("#id_pipeline", str(other.pk))
    expect(page.locator('label[for="id_source"] .req')).to_have_count(0)
    expect(page.locator("#id_source")).not_to_have_attribute("aria-required", "true")
    page.select_option("#id_pipeline", str(inbound.pk))
    expect(page.locator('label[for="id_channel"] .req')).to_have_text("*")
    expect(page.locator("#id_channel")).to_have_attribute("aria-required", "true")
