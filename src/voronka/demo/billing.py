"""Billing in the demo: company requisites, invoices of the Inbound deals that reached the invoice stages or
were won (some paid, some partly, some overdue), a payment plan, and a shipment; the clients of deals at a
stage that requires their legal address get one; a service act; answered after-sales surveys of won deals
(the NPS report has numbers). Deterministic (deals taken in id order), through the
billing services as the system actor; ``build_demo`` calls ``seed_billing`` once the deals are written."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from voronka.accounts.services import get_system_actor
from voronka.activities.models import Activity, Task
from voronka.billing.models import Invoice, Survey
from voronka.billing.selectors import get_requisites
from voronka.billing.services import (
    create_act,
    create_invoice,
    create_shipment,
    record_payment,
    set_payment_plan,
    update_requisites,
)
from voronka.billing.surveys import answer_survey
from voronka.clients.models import Client
from voronka.deals.models import Deal, DealLine, DealStatus
from voronka.pipelines.models import Stage

INVOICE_STAGES = ("invoice-issued", "invoice-paid")
MAX_INVOICES = 8
ADDRESSES = ("г. Москва, ул. Тверская, д. 7", "г. Санкт-Петербург, Невский пр., д. 28",
             "г. Казань, ул. Баумана, д. 15", "г. Екатеринбург, ул. Ленина, д. 40")


def _addresses() -> int:
    """Clients of deals at a stage requiring ``client.legal_address`` get an address (the stage's rule)."""
    stages = [s.pk for s in Stage.objects.all() if "client.legal_address" in (s.required_fields or [])]
    clients = list(Client.objects.filter(deals__stage_id__in=stages, legal_address="").distinct()
                   .order_by("pk").values_list("pk", flat=True))
    for index, pk in enumerate(clients):
        Client.objects.filter(pk=pk).update(legal_address=ADDRESSES[index % len(ADDRESSES)])
    return len(clients)


@transaction.atomic
def seed_billing(*, language: str = "ru") -> dict[str, int]:
    """A few invoices, payments (an overdue one among them) and a shipment; nothing when invoices exist.
    ``activities``, ``tasks``: the timeline entries and tasks it wrote (the demo's counts include them)."""
    addresses = _addresses()
    before, tasks_before = Activity.objects.count(), Task.objects.count()
    if Invoice.objects.exists():
        return {"invoices": 0, "addresses": addresses, "activities": 0}
    system = get_system_actor()
    if not get_requisites().legal_name:
        update_requisites(actor=system, legal_name="ООО «Воронка Демо»" if language == "ru" else "Voronka Demo LLC",
                          inn="7701234567", kpp="770101001", ogrn="1027700132195",
                          address="г. Москва, ул. Тверская, д. 1", bank_name="ПАО Сбербанк", bik="044525225",
                          corr_account="30101810400000000225", settlement_account="40702810938000000001",
                          director="Иванов И. И.", accountant="Петрова А. А.", vat_rate="22",
                          prices_include_vat=True)
    today = timezone.localdate()
    with_lines = DealLine.objects.values("deal_id")
    deals = list(Deal.objects.filter(pk__in=with_lines, amount__gt=0)
                 .filter(stage__slug__in=INVOICE_STAGES, status=DealStatus.OPEN)
                 .order_by("pk")[:MAX_INVOICES // 2])
    deals += list(Deal.objects.filter(pk__in=with_lines, amount__gt=0, status=DealStatus.WON)
                  .order_by("pk")[:MAX_INVOICES - len(deals)])
    made = payments = 0
    for index, deal in enumerate(deals):
        overdue = index % 3 == 1
        due = today - dt.timedelta(days=(15, 45, 75, 120)[index % 4]) if overdue else today + dt.timedelta(days=10)
        invoice = create_invoice(actor=system, deal=deal, due_date=due.isoformat())
        made += 1
        if index % 3 == 0:  # paid in full
            record_payment(actor=system, invoice=invoice, amount=invoice.total, paid_on=today.isoformat(),
                           reference=f"п/п {100 + index}")
            payments += 1
        elif index % 3 == 2:  # two instalments, the first one paid
            half = (invoice.total / 2).quantize(Decimal("0.01"))
            set_payment_plan(actor=system, invoice=invoice, rows=[
                {"due_date": (today - dt.timedelta(days=5)).isoformat(), "amount": str(half)},
                {"due_date": (today + dt.timedelta(days=25)).isoformat(), "amount": str(invoice.total - half)}])
            record_payment(actor=system, invoice=invoice, amount=half, paid_on=(today - dt.timedelta(days=6))
                           .isoformat(), reference=f"п/п {100 + index}")
            payments += 1
    shipments = 0
    if deals:
        create_shipment(actor=system, deal=deals[0], number="УПД-1", shipped_on=today.isoformat())
        shipments = 1
    acts = 0
    if len(deals) > 1:
        create_act(actor=system, deal=deals[1], comment="Договор № 1" if language == "ru" else "Contract No. 1")
        acts = 1
    surveys = _answered_surveys()
    return {"invoices": made, "payments": payments, "shipments": shipments, "acts": acts, "surveys": surveys,
            "addresses": addresses, "activities": Activity.objects.count() - before,
            "tasks": Task.objects.count() - tasks_before}


SCORES = (10, 9, 8, 10, 9, 7, 10, 8)  # no detractor: its task for the lead would be open on a closed deal


def _answered_surveys() -> int:
    """Surveys of the first won deals, answered through the public page's service (timeline notes, and a task
    for the team lead on a low score)."""
    won = Deal.objects.filter(status=DealStatus.WON, survey__isnull=True).order_by("pk")[:len(SCORES)]
    for deal, score in zip(won, SCORES, strict=False):
        token = secrets.token_urlsafe(24)
        Survey.objects.create(deal=deal, email="", token_hash=hashlib.sha256(token.encode()).hexdigest(),
                              sent_at=timezone.now())
        answer_survey(token=token, score=score)
    return min(len(won), len(SCORES))
