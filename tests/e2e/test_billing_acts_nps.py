"""Service acts and the NPS report in a real browser: from the deal page a manager records a service act, downloads
its PDF (page 1 rendered to PNG) and marks it signed; a head of sales reads NPS by manager, follows a number to
the deal list behind it, and switches the revenue report to cash."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_a_service_act_from_the_deal_page_pdf_and_signed(page, live_server, e2e_data, tmp_path):
    from voronka.billing.models import Act
    from voronka.billing.services import update_requisites

    update_requisites(actor=e2e_data.admin, legal_name="ООО «Воронка»", inn="7701234567", kpp="770101001",
                      vat_rate="22", director="Иванов И. И.")
    deal = e2e_data.deals[0]  # 100 000, no product lines: the act is for its amount
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    panel = page.locator("[data-testid=invoices-panel]")
    expect(panel.get_by_text("Актов пока нет.")).to_be_visible()
    panel.locator("#act-new").click()
    expect(page.locator("h1")).to_have_text("Новый акт")
    page.locator("#id_comment").fill("Договор № 7 от 01.11.2026")
    assert_accessible(page)
    page.locator("#act-submit").click()
    row = page.locator("[data-testid=deal-acts] tbody tr")
    expect(row).to_have_count(1)
    act = Act.objects.get(deal=deal)
    expect(row.locator("[data-testid=act-status]")).to_contain_text("Выставлен")
    expect(row).to_contain_text(f"№ {act.number}/{act.year}")
    expect(row).to_contain_text("100\u00a0000,00")

    with page.expect_download() as info:
        row.locator("[data-testid=act-pdf]").click()
    pdf = tmp_path / "act.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(ARTIFACTS / "e2e-billing-act-pdf")], check=True)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Акт об оказании услуг" in text and "Сто тысяч рублей 00 копеек" in text
        assert "Договор № 7" in text

    row.locator("[data-act-action=sign]").click()
    expect(page.locator("[data-testid=deal-acts] [data-testid=act-status]")).to_have_text("Подписан клиентом")
    expect(page.locator("[data-testid=deal-acts] [data-act-action]")).to_have_count(0)
    screenshot(page, "billing-deal-acts")
    assert Act.objects.get(pk=act.pk).status == "signed"


def test_the_nps_report_drills_to_the_deals_and_revenue_switches_to_cash(page, live_server, e2e_data):
    from django.utils import timezone

    from voronka.billing.models import Survey

    at = dt.datetime(2026, 11, 10, 12, 0, tzinfo=timezone.get_current_timezone())
    for n, (deal, score) in enumerate(zip(e2e_data.deals, (10, 9, 3), strict=True)):
        Survey.objects.create(deal=deal, email=f"c{n}@example.ru", token_hash=f"{n:064d}", sent_at=at,
                              answered_at=at + dt.timedelta(hours=n), score=score)
    login(page, live_server, "head")
    page.goto(f"{live_server.url}/reports/nps/?from=2026-11-01&to=2026-11-30&by1=manager")
    table = page.locator("table[data-report=nps]")
    expect(table.locator("tbody tr")).to_have_count(1)
    cells = table.locator("tbody tr").first
    expect(cells.locator("[data-key=answers]")).to_have_text("3")
    expect(cells.locator("[data-key=promoters]")).to_have_text("2")
    expect(cells.locator("[data-key=detractors]")).to_have_text("1")
    expect(cells.locator("[data-key=nps]")).to_contain_text("33")
    assert_accessible(page)
    screenshot(page, "reports-nps")
    cells.locator("[data-key=detractors] a").click()
    expect(page.locator("[data-drilled]")).to_be_visible()
    expect(page.get_by_text(e2e_data.deals[2].title)).to_be_visible()
    expect(page.get_by_text(e2e_data.deals[0].title)).to_have_count(0)

    page.goto(f"{live_server.url}/reports/revenue/")
    page.locator("#f-revenue").select_option("cash")
    page.get_by_role("button", name="Показать").click()
    assert "revenue=cash" in page.url
    expect(page.locator("#f-revenue")).to_have_value("cash")
