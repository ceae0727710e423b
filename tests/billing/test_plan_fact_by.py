"""Plan vs fact per client and per manager: in scope, a fixed number of queries, and the same figures as an
independent aggregate over the invoices and payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client as HttpClient
from django.urls import reverse

from tests.factories import make_client, make_deal
from voronka.billing.models import Invoice, InvoiceStatus, Payment
from voronka.billing.selectors import plan_fact_by
from voronka.billing.services import cancel_invoice, create_invoice, record_payment, set_payment_plan

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def book(world, requisites):
    """Three clients, two managers, partial and full payments, a cancelled invoice, an overdue plan row."""
    today = dt.date.today()
    made = []
    for n, (owner, amount) in enumerate([(world.owner, "1000"), (world.owner, "2500"), (world.teammate, "700"),
                                         (world.teammate, "300")]):
        client = make_client(owner, name=f"Клиент {n % 3}", inn=f"77000000{n:02d}"[:10])
        deal = make_deal(owner, world.pipeline, client=client, values={"amount": amount})
        made.append(create_invoice(actor=owner, deal=deal))
    set_payment_plan(actor=world.owner, invoice=made[1], rows=[
        {"due_date": (today - dt.timedelta(days=10)).isoformat(), "amount": "1500"},
        {"due_date": (today + dt.timedelta(days=20)).isoformat(), "amount": "1000"}])
    record_payment(actor=world.owner, invoice=made[0], amount="1200")  # overpaid by 200
    record_payment(actor=world.owner, invoice=made[1], amount="500")
    record_payment(actor=world.teammate, invoice=made[2], amount="700")
    cancel_invoice(actor=world.teammate, invoice=made[3], reason="дубль")
    return made


def _independent(by: str, actor_ids: list[int]) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    group = "client__name" if by == "client" else "deal__owner__username"
    live = Invoice.objects.exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED]).filter(
        deal__owner_id__in=actor_ids)
    invoiced = {(r[group], r["currency"]): r["s"] for r in live.values(group, "currency").annotate(s=Sum("total"))}
    paid = {(r[f"invoice__{group}"], r["invoice__currency"]): r["s"] for r in Payment.objects.filter(
        invoice__in=live).values(f"invoice__{group}", "invoice__currency").annotate(s=Sum("amount"))}
    return {k: (v, paid.get(k, D("0"))) for k, v in invoiced.items()}


@pytest.mark.parametrize("by", ["client", "manager"])
def test_plan_fact_by_matches_an_independent_aggregate(world, book, by):
    rows = plan_fact_by(actor=world.head, by=by)
    names = {u.pk: u.username for u in (world.owner, world.teammate)}
    got = {(r.name if by == "client" else names[r.key], r.currency): (r.invoiced, r.paid) for r in rows}
    assert got == _independent(by, list(names))
    assert sum(r.overpaid for r in rows) == D("200")
    assert sum(r.overdue for r in rows) == D("1000")  # 1500 due ten days ago, 500 paid
    assert sum(r.outstanding for r in rows) == D("2000")


def test_plan_fact_by_respects_scope(world, book):
    assert plan_fact_by(actor=world.outsider, by="client") == []
    mine = plan_fact_by(actor=world.owner, by="manager")
    assert [r.key for r in mine] == [world.owner.pk]
    assert mine[0].invoiced == D("3500.00") and mine[0].paid == D("1700.00")


def test_the_receivables_page_shows_both_tables_in_a_fixed_number_of_queries(world, book,
                                                                           django_assert_max_num_queries):
    http = HttpClient()
    http.force_login(world.head)
    http.get(reverse("billing:receivables"))
    for n in range(4):
        deal = make_deal(world.owner, world.pipeline, client=make_client(world.owner, name=f"Ещё {n}"),
                         values={"amount": "100"})
        create_invoice(actor=world.owner, deal=deal)
    with django_assert_max_num_queries(18):
        page = http.get(reverse("billing:receivables")).content.decode()
    assert 'data-testid="plan-fact-client"' in page and 'data-testid="plan-fact-manager"' in page
    assert page.count('data-col="invoiced"') == 3 + 4 + 2  # three clients + four new ones, two managers
