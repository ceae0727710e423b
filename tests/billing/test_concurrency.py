"""Invoice numbers under real concurrency (PostgreSQL): threads issue at the same moment, each with its own
connection; the counter row lock gives every invoice its own number and leaves no gap. SQLite serialises
writers on the whole database (the sequential checks in test_invoices.py run there)."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from tests.concurrency import race
from tests.factories import make_deal
from voronka.billing.models import Invoice, InvoiceCounter
from voronka.billing.services import create_invoice, issue_invoice

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to race on"),
]
THREADS = 6


def test_concurrent_first_invoices_of_the_year_get_distinct_gapless_numbers(world):
    deals = [make_deal(world.owner, world.pipeline, values={"amount": str(100 + n)}) for n in range(THREADS)]
    results = race(*(partial(create_invoice, actor=world.owner, deal=deal) for deal in deals))
    assert all(isinstance(r, Invoice) for r in results), results
    year = timezone.localdate().year
    numbers = sorted(Invoice.objects.filter(year=year).values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 1))
    assert InvoiceCounter.objects.get(year=year).last_number == THREADS


def test_concurrent_issues_of_drafts_and_a_double_issue(world):
    deal = make_deal(world.owner, world.pipeline, values={"amount": "500"})
    create_invoice(actor=world.owner, deal=deal)  # the counter row exists: the lock path
    drafts = [create_invoice(actor=world.owner, deal=deal, issue=False) for _ in range(THREADS)]
    twin = Invoice.objects.get(pk=drafts[0].pk)
    results = race(*(partial(issue_invoice, actor=world.owner, invoice=d) for d in drafts),
                   partial(issue_invoice, actor=world.owner, invoice=twin))
    issued = [r for r in results if isinstance(r, Invoice)]
    assert len(issued) == THREADS  # the second issue of the same draft is refused
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 2))


def test_concurrent_acts_get_distinct_gapless_numbers(world):
    from voronka.billing.models import Act, ActCounter
    from voronka.billing.services import create_act

    deals = [make_deal(world.owner, world.pipeline, values={"amount": str(100 + n)}) for n in range(THREADS)]
    results = race(*(partial(create_act, actor=world.owner, deal=deal) for deal in deals))
    assert all(isinstance(r, Act) for r in results), results
    year = timezone.localdate().year
    assert sorted(Act.objects.filter(year=year).values_list("number", flat=True)) == list(range(1, THREADS + 1))
    assert ActCounter.objects.get(year=year).last_number == THREADS
