"""The billing pages: the deal's panel, the invoice form, the invoice page with plan and payments, the PDF
download, the receivables page (query-count capped) and Settings › Company requisites."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests.factories import make_deal
from voronka.billing.models import CompanyRequisites, Invoice, InvoiceStatus
from voronka.billing.services import create_invoice

pytestmark = pytest.mark.django_db


def _as(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_the_deal_page_loads_the_invoices_panel(world, deal):
    http = _as(world.owner)
    page = http.get(reverse("deals:detail", args=[deal.pk]))
    assert reverse("billing:deal_panel", args=[deal.pk]) in page.content.decode()
    create_invoice(actor=world.owner, deal=deal)
    panel = http.get(reverse("billing:deal_panel", args=[deal.pk])).content.decode()
    assert "№ 1/" in panel and "180\u00a0000,00" in panel
    assert _as(world.outsider).get(reverse("billing:deal_panel", args=[deal.pk])).status_code == 404


def test_the_invoice_form_makes_a_partial_invoice_and_shows_field_errors(world, deal):
    http = _as(world.owner)
    url = reverse("billing:invoice_create", args=[deal.pk])
    assert http.get(url).status_code == 200
    bad = http.post(url, {"mode": "lines"})
    assert bad.status_code == 400
    assert "Choose at least one line" in bad.content.decode() or "Выберите хотя бы одну строку" in bad.content.decode()
    response = http.post(url, {"mode": "share", "share_pct": "30"})
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("billing:invoice", args=[invoice.pk])
    assert invoice.total == Decimal("54000.00") and invoice.status == InvoiceStatus.ISSUED
    assert _as(world.outsider).post(url, {"mode": "all"}).status_code == 404
    assert Invoice.objects.count() == 1


def test_pdf_download_plan_and_payments_through_the_page(world, deal):
    http = _as(world.owner)
    invoice = create_invoice(actor=world.owner, deal=deal)
    pdf = http.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF") and "attachment" in pdf["Content-Disposition"]
    http.post(reverse("billing:invoice_plan", args=[invoice.pk]), {"instalments": "2", "first_due": "2027-01-01",
                                                                  "every_days": "30"})
    assert invoice.plan_rows.count() == 2
    http.post(reverse("billing:payment_add", args=[invoice.pk]), {"amount": "50 000", "method": "bank"})
    http.post(reverse("billing:payment_add", args=[invoice.pk]), {"amount": "abc", "method": "bank"})
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("50000") and invoice.status == InvoiceStatus.PARTLY_PAID
    page = http.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert "130\u00a0000,00" in page  # outstanding
    assert _as(world.outsider).get(reverse("billing:invoice_pdf", args=[invoice.pk])).status_code == 404
    assert _as(world.outsider).post(reverse("billing:payment_add", args=[invoice.pk]),
                                    {"amount": "1", "method": "bank"}).status_code == 404


def test_receivables_page_has_a_constant_number_of_queries(world, requisites, django_assert_max_num_queries):
    http = _as(world.owner)
    http.get(reverse("billing:receivables"))  # warm the session and the user
    for _n in range(5):
        create_invoice(actor=world.owner, deal=make_deal(world.owner, world.pipeline, values={"amount": "100"}))
    with django_assert_max_num_queries(18):  # ageing, then plan vs fact by client and by manager: 3 each
        response = http.get(reverse("billing:receivables"))
    assert response.content.decode().count('data-bucket="not_due"') == 5 + 1  # rows + the totals cell


def test_company_requisites_are_for_administrators(world):
    url = reverse("settings:billing_requisites")
    assert _as(world.owner).get(url).status_code == 403
    http = _as(world.admin)
    assert http.get(url).status_code == 200
    bad = http.post(url, {"legal_name": "ООО Тест", "bik": "12", "vat_rate": "20", "payment_days": "5"})
    assert bad.status_code == 400 and not CompanyRequisites.objects.exists()
    http.post(url, {"legal_name": "ООО Тест", "bik": "044525225", "vat_rate": "20", "payment_days": "7",
                    "prices_include_vat": "on"})
    saved = CompanyRequisites.objects.get()
    assert (saved.legal_name, saved.bik, saved.vat_rate, saved.payment_days) == ("ООО Тест", "044525225", "20", 7)
