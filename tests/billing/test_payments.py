"""Payment plans (equal or typed rows summing to the total), payments allocated oldest first, partial and
over-payment, plan vs fact, receivables ageing in scope with a capped number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import make_client, make_deal
from voronka.billing.models import InvoiceStatus, PlanRow
from voronka.billing.selectors import (
    RowFact,
    allocate,
    bucket_of,
    deal_invoices,
    invoice_facts,
    plan_fact,
    receivables,
)
from voronka.billing.services import (
    cancel_invoice,
    create_invoice,
    equal_instalments,
    record_payment,
    set_payment_plan,
)
from voronka.core.errors import Conflict, DomainError, NotFound

pytestmark = pytest.mark.django_db
D = Decimal


def test_equal_instalments_sum_to_the_total_with_the_rounding_on_the_last():
    rows = equal_instalments(D("100.00"), 3, dt.date(2026, 1, 10), 30)
    assert [r["amount"] for r in rows] == [D("33.33"), D("33.33"), D("33.34")]
    assert [r["due_date"] for r in rows] == [dt.date(2026, 1, 10), dt.date(2026, 2, 9), dt.date(2026, 3, 11)]
    assert sum(r["amount"] for r in rows) == D("100.00")


def test_a_plan_must_sum_to_the_invoice_total(world, deal):
    invoice = create_invoice(actor=world.owner, deal=deal)  # 180 000
    with pytest.raises(DomainError) as err:
        set_payment_plan(actor=world.owner, invoice=invoice, rows=[
            {"due_date": "2026-12-10", "amount": "100000"}, {"due_date": "2027-01-10", "amount": "70000"}])
    assert err.value.code == "plan_sum"
    assert not PlanRow.objects.exists()
    rows = set_payment_plan(actor=world.owner, invoice=invoice, rows=[
        {"due_date": "2027-01-10", "amount": "80000"}, {"due_date": "2026-12-10", "amount": "100000"}])
    assert [(str(r.due_date), r.amount) for r in rows] == [("2026-12-10", D("100000")), ("2027-01-10", D("80000"))]
    rows = set_payment_plan(actor=world.owner, invoice=invoice, instalments=4, first_due="2027-01-01",
                            every_days=7)
    assert len(rows) == 4 and sum(r.amount for r in rows) == invoice.total


@pytest.mark.parametrize("rows", [[], "x", [{"due_date": "bad", "amount": "1"}], [{"due_date": "2027-01-01"}],
                                  [{"due_date": "2027-01-01", "amount": "-5"}]])
def test_bad_plan_rows_are_field_errors(world, deal, rows):
    invoice = create_invoice(actor=world.owner, deal=deal)
    with pytest.raises(DomainError) as err:
        set_payment_plan(actor=world.owner, invoice=invoice, rows=rows)
    assert err.value.field == "rows"


def test_allocation_fills_the_oldest_row_first_and_keeps_the_overpayment():
    rows = [RowFact(due_date=dt.date(2026, 3, 1), amount=D("50"), row_id=2),
            RowFact(due_date=dt.date(2026, 1, 1), amount=D("30"), row_id=1)]
    assert allocate(rows, [D("20"), D("25")]) == 0
    assert [(r.row_id, r.paid) for r in rows] == [(2, D("15")), (1, D("30"))]
    assert allocate(rows, [D("100")]) == D("20")
    assert [r.remaining for r in rows] == [0, 0]


def test_two_partial_payments_then_an_overpayment(world, deal):
    invoice = create_invoice(actor=world.owner, deal=deal)  # 180 000
    set_payment_plan(actor=world.owner, invoice=invoice, rows=[
        {"due_date": "2026-12-10", "amount": "100000"}, {"due_date": "2027-01-10", "amount": "80000"}])
    record_payment(actor=world.owner, invoice=invoice, amount="60000", paid_on="2026-11-20", reference="п/п 11")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTLY_PAID and invoice.paid_amount == D("60000")
    record_payment(actor=world.owner, invoice=invoice, amount="70000", method="card")
    invoice = deal_invoices(deal=deal)[0]
    rows, over = invoice_facts(invoice)
    assert [(r.paid, r.remaining) for r in rows] == [(D("100000"), 0), (D("30000"), D("50000"))]
    assert over == 0 and invoice.status == InvoiceStatus.PARTLY_PAID
    record_payment(actor=world.owner, invoice=invoice, amount="60000")
    invoice = deal_invoices(deal=deal)[0]
    assert invoice.status == InvoiceStatus.PAID and invoice.overpaid == D("10000") and invoice.outstanding == 0
    assert invoice_facts(invoice)[1] == D("10000")
    with pytest.raises(Conflict):
        cancel_invoice(actor=world.owner, invoice=invoice)


@pytest.mark.parametrize("amount", ["0", "-1", "abc", "1e5", ""])
def test_bad_payment_amounts_are_refused(world, deal, amount):
    invoice = create_invoice(actor=world.owner, deal=deal)
    with pytest.raises(DomainError) as err:
        record_payment(actor=world.owner, invoice=invoice, amount=amount)
    assert err.value.field == "amount"


def test_payments_are_refused_on_drafts_cancelled_and_hidden_invoices(world, deal):
    draft = create_invoice(actor=world.owner, deal=deal, issue=False)
    with pytest.raises(DomainError):
        record_payment(actor=world.owner, invoice=draft, amount="10")
    cancelled = cancel_invoice(actor=world.owner, invoice=create_invoice(actor=world.owner, deal=deal))
    with pytest.raises(DomainError):
        record_payment(actor=world.owner, invoice=cancelled, amount="10")
    invoice = create_invoice(actor=world.owner, deal=deal)
    with pytest.raises(NotFound):
        record_payment(actor=world.outsider, invoice=invoice, amount="10")
    with pytest.raises(DomainError) as err:
        record_payment(actor=world.owner, invoice=invoice, amount="10", method="barter")
    assert err.value.field == "method"


def test_plan_vs_fact_of_a_deal(world, deal):
    today = timezone.localdate()
    invoice = create_invoice(actor=world.owner, deal=deal)
    set_payment_plan(actor=world.owner, invoice=invoice, rows=[
        {"due_date": today - dt.timedelta(days=10), "amount": "100000"},
        {"due_date": today + dt.timedelta(days=20), "amount": "80000"}])
    record_payment(actor=world.owner, invoice=invoice, amount="40000")
    create_invoice(actor=world.owner, deal=deal, issue=False)  # drafts count for nothing
    facts = plan_fact(deal_invoices(deal=deal), today=today).as_rows()
    assert facts == [{"currency": "RUB", "invoiced": D("180000"), "planned_to_date": D("100000"),
                      "paid": D("40000"), "outstanding": D("140000"), "overdue": D("60000"), "overpaid": 0}]


@pytest.mark.parametrize(("days", "bucket"), [(-5, "not_due"), (0, "not_due"), (1, "d1_30"), (30, "d1_30"),
                                              (31, "d31_60"), (60, "d31_60"), (61, "d61_90"), (90, "d61_90"),
                                              (91, "d90_plus"), (400, "d90_plus")])
def test_ageing_buckets(days, bucket):
    assert bucket_of(days) == bucket


def test_receivables_age_the_unpaid_parts_in_scope_with_few_queries(world, requisites,
                                                                    django_assert_max_num_queries):
    today = timezone.localdate()
    expected = {"not_due": D(0), "d1_30": D(0), "d31_60": D(0), "d61_90": D(0), "d90_plus": D(0)}
    for n, days_late in enumerate([-3, 5, 45, 75, 120, 15]):
        deal = make_deal(world.owner, world.pipeline, values={"amount": str(1000 * (n + 1))})
        invoice = create_invoice(actor=world.owner, deal=deal, due_date=today - dt.timedelta(days=days_late))
        record_payment(actor=world.owner, invoice=invoice, amount="100")
        expected[bucket_of(days_late)] += D(1000 * (n + 1)) - 100
    hidden = make_deal(world.outsider, world.pipeline, client=make_client(world.outsider),
                       values={"amount": "999"})
    create_invoice(actor=world.outsider, deal=hidden, due_date=today - dt.timedelta(days=5))
    with django_assert_max_num_queries(4):
        rows, totals = receivables(actor=world.owner, today=today)
    assert len(rows) == 6 and all(r.invoice.deal.owner_id == world.owner.pk for r in rows)
    assert {k: totals["RUB"][k] for k in expected} == expected
    assert totals["RUB"]["total"] == sum(expected.values())
    assert rows[0].days_overdue == 120  # the oldest debt first
    everyone, _t = receivables(actor=world.head, today=today)
    assert len(everyone) == 7
