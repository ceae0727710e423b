"""A payment can pay a chosen plan row: it fills that row first, the rest goes oldest first; a row of another
invoice is a field error; the invoice page offers the rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests.factories import make_deal
from voronka.billing.models import Payment
from voronka.billing.selectors import RowFact, allocate, invoice_facts
from voronka.billing.services import create_invoice, record_payment, set_payment_plan
from voronka.core.errors import DomainError

pytestmark = pytest.mark.django_db
D = Decimal


def test_allocate_fills_the_chosen_row_first_then_oldest_first():
    import datetime as dt

    rows = [RowFact(due_date=dt.date(2026, 1, 1), amount=D("100"), row_id=1),
            RowFact(due_date=dt.date(2026, 2, 1), amount=D("100"), row_id=2)]
    assert allocate(rows, [D("30")], [(D("120"), 2)]) == 0
    assert [r.paid for r in rows] == [D("50"), D("100")]
    assert allocate(rows, [], [(D("250"), 2)]) == D("50")
    assert [r.paid for r in rows] == [D("100"), D("100")]


def test_a_payment_for_a_chosen_row(world, deal):
    invoice = create_invoice(actor=world.owner, deal=deal)  # 180 000
    first, second = set_payment_plan(actor=world.owner, invoice=invoice, rows=[
        {"due_date": "2026-12-10", "amount": "100000"}, {"due_date": "2027-01-10", "amount": "80000"}])
    record_payment(actor=world.owner, invoice=invoice, amount="80000", plan_row=second.pk)
    rows, over = invoice_facts(invoice)
    assert [(r.row_id, r.paid) for r in rows] == [(first.pk, D("0")), (second.pk, D("80000"))] and over == 0
    other = create_invoice(actor=world.owner, deal=make_deal(world.owner, world.pipeline, values={"amount": "10"}))
    [foreign] = set_payment_plan(actor=world.owner, invoice=other, rows=[{"due_date": "2027-01-01", "amount": "10"}])
    for bad in (foreign.pk, "x", 10**9):
        with pytest.raises(DomainError) as err:
            record_payment(actor=world.owner, invoice=invoice, amount="1", plan_row=bad)
        assert err.value.field == "plan_row"
    assert Payment.objects.count() == 1


def test_the_invoice_page_offers_the_plan_rows(world, deal):
    invoice = create_invoice(actor=world.owner, deal=deal)
    _first, second = set_payment_plan(actor=world.owner, invoice=invoice, rows=[
        {"due_date": "2026-12-10", "amount": "100000"}, {"due_date": "2027-01-10", "amount": "80000"}])
    http = HttpClient()
    http.force_login(world.owner)
    page = http.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert f'<option value="{second.pk}">' in page
    http.post(reverse("billing:payment_add", args=[invoice.pk]), {"amount": "5000", "method": "bank",
                                                                  "plan_row": str(second.pk)})
    assert Payment.objects.get().plan_row_id == second.pk
