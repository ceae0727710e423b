"""A bank statement in a real browser: the manager uploads a CSV, sees which rows match which invoice and which
do not, imports, and finds the payment in plan vs fact by client on the receivables page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_statement_preview_then_import(page, live_server, e2e_data, tmp_path):
    from voronka.billing.models import Payment
    from voronka.billing.services import create_invoice, update_requisites

    update_requisites(actor=e2e_data.admin, legal_name="ООО «Воронка»", inn="7701234567", vat_rate="22")
    deal = e2e_data.deals[0]
    invoice = create_invoice(actor=deal.owner, deal=deal)
    csv = tmp_path / "statement.csv"
    csv.write_bytes(("Дата;Сумма;ИНН плательщика;Назначение платежа;Номер документа\n"
                     f"30.11.2026;40 000,00;;Оплата по счёту № {invoice.display_number};501\n"
                     "30.11.2026;999,00;7709999999;Возврат займа;502\n").encode("cp1251"))
    login(page, live_server, deal.owner.username)
    page.goto(f"{live_server.url}/receivables/statement/")
    page.locator("#statement-file").set_input_files(str(csv))
    page.get_by_role("button", name="Предпросмотр").click()
    preview = page.locator("[data-testid=statement-preview]")
    expect(preview.locator("tr[data-row='2']")).to_contain_text("Найден по номеру счёта")
    expect(preview.locator("[data-testid=statement-unmatched]")).to_have_count(1)
    assert not Payment.objects.exists()
    assert_accessible(page)
    screenshot(page, "billing-statement-preview")
    page.get_by_role("button", name="Загрузить 1 оплату").click()
    expect(page.locator("[data-testid=plan-fact-client]")).to_contain_text("40\u00a0000,00")
    assert Payment.objects.get().reference == "501"
    screenshot(page, "billing-receivables-plan-fact")
