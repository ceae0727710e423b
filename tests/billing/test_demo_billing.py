"""The demo has invoices (paid, partly paid, overdue), payments and a shipment, and keeps the stage rules."""

from __future__ import annotations

import pytest
from django.utils import timezone

from voronka.analytics.engine import full_scope_actor, run_report
from voronka.billing.models import Act, Invoice, InvoiceStatus, Payment, Shipment, Survey
from voronka.billing.selectors import overdue_rows
from voronka.deals.models import Deal
from voronka.deals.rules import missing_required_fields
from voronka.demo.generator import build_demo


@pytest.mark.django_db(transaction=True)
def test_the_demo_has_invoices_payments_an_overdue_one_and_a_shipment():
    result = build_demo(size="tiny", seed=42, reset=True)
    assert result["deals"] > 0
    assert Invoice.objects.exclude(status=InvoiceStatus.DRAFT).count() >= 3
    assert Invoice.objects.filter(status=InvoiceStatus.PAID).exists()
    assert Payment.objects.exists() and Shipment.objects.count() == 1
    assert overdue_rows(today=timezone.localdate())
    assert Act.objects.filter(number__isnull=False).count() == 1
    assert Survey.objects.filter(answered_at__isnull=False).exists()
    [row] = run_report(actor=full_scope_actor(), name="nps", params={"by": ""}).rows
    assert row["answers"] == Survey.objects.filter(answered_at__isnull=False).count()
    for deal in Deal.objects.filter(status="open").select_related("stage", "client"):
        assert missing_required_fields(deal, deal.stage) == [], deal.pk
