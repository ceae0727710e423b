"""Reads of billing, scoped to the user through the deal: a user sees the invoices of the deals he may see.

``allocate`` spreads an invoice's payments over its plan rows, oldest row first (payments in date order);
what is left over is the overpayment. Plan vs fact and receivables are built from it, in a fixed number of
queries whatever the number of invoices.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import User
from voronka.accounts.permissions import scope_q
from voronka.core.errors import NotFound
from voronka.deals.models import Deal

from .models import OPEN_STATUSES, CompanyRequisites, Invoice, InvoiceStatus, Payment, PlanRow, ProductVat

ZERO = Decimal("0.00")
# (key, label, lower bound of days overdue, upper bound or None)
BUCKETS: tuple[tuple[str, object, int | None, int | None], ...] = (
    ("not_due", gettext_lazy("Not due"), None, 0),
    ("d1_30", gettext_lazy("1–30 days"), 1, 30),
    ("d31_60", gettext_lazy("31–60 days"), 31, 60),
    ("d61_90", gettext_lazy("61–90 days"), 61, 90),
    ("d90_plus", gettext_lazy("Over 90 days"), 91, None),
)


def get_requisites() -> CompanyRequisites:
    """The company's requisites (an unsaved default row before an administrator fills them)."""
    return CompanyRequisites.objects.filter(pk=1).first() or CompanyRequisites(pk=1)


def product_vat_rates(product_ids: list[int]) -> dict[int, str]:
    return dict(ProductVat.objects.filter(product_id__in=product_ids).values_list("product_id", "vat_rate"))


def visible_invoices(*, actor: User) -> QuerySet[Invoice]:
    visible = Deal.objects.filter(scope_q(actor, "deals.Deal")).values("pk")
    return Invoice.objects.filter(deal_id__in=visible)


def get_invoice(*, actor: User, invoice_id: int, for_update: bool = False) -> Invoice:
    qs = visible_invoices(actor=actor).select_related("deal", "deal__owner", "deal__contact", "client")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=invoice_id)
    except (Invoice.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Invoice not found.")) from exc


def deal_invoices(*, deal: Deal) -> list[Invoice]:
    """The deal's invoices (newest first) with their plan rows and payments: three queries."""
    return list(Invoice.objects.filter(deal=deal).prefetch_related(
        Prefetch("plan_rows", queryset=PlanRow.objects.order_by("due_date", "id")),
        Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "id"))))


@dataclass
class RowFact:
    """A plan row (or the implicit one: the whole invoice on its due date) with what was allocated to it."""

    due_date: dt.date
    amount: Decimal
    paid: Decimal = ZERO
    row_id: int | None = None

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.paid


def plan_of(invoice: Invoice) -> list[RowFact]:
    """The invoice's plan rows, or one implicit row (its total on its due date). Uses prefetched rows."""
    rows = [RowFact(due_date=r.due_date, amount=r.amount, row_id=r.pk) for r in invoice.plan_rows.all()]
    return rows or [RowFact(due_date=invoice.due_date, amount=invoice.total)]


def allocate(rows: list[RowFact], payments: list[Decimal],
             chosen: list[tuple[Decimal, int]] | None = None) -> Decimal:
    """Spread the payments over the rows; sets ``paid`` on each row, returns the overpayment. A ``chosen``
    payment (amount, row id) fills its row first; the rest of it and the other payments go oldest row first."""
    rows = sorted(rows, key=lambda r: (r.due_date, r.row_id or 0))
    by_id = {r.row_id: r for r in rows if r.row_id is not None}
    for row in rows:
        row.paid = ZERO
    left = sum(payments, ZERO)
    for amount, row_id in chosen or []:
        row = by_id.get(row_id)
        take = min(row.remaining, amount) if row is not None else ZERO
        if row is not None:
            row.paid += take
        left += amount - take
    for row in rows:
        take = min(row.remaining, left)
        row.paid += take
        left -= take
    return left


def invoice_facts(invoice: Invoice) -> tuple[list[RowFact], Decimal]:
    rows = plan_of(invoice)
    payments = list(invoice.payments.all())
    over = allocate(rows, [p.amount for p in payments if p.plan_row_id is None],
                    [(p.amount, p.plan_row_id) for p in payments if p.plan_row_id is not None])
    return rows, over


@dataclass
class PlanFact:
    """Plan vs fact of one deal (or any set of invoices), in one currency each."""

    invoiced: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    planned_to_date: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    paid: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    outstanding: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    overdue: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    overpaid: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))

    def as_rows(self) -> list[dict]:
        currencies = sorted(set(self.invoiced) | set(self.paid))
        return [{"currency": c, "invoiced": self.invoiced[c], "planned_to_date": self.planned_to_date[c],
                 "paid": self.paid[c], "outstanding": self.outstanding[c], "overdue": self.overdue[c],
                 "overpaid": self.overpaid[c]} for c in currencies]


def plan_fact(invoices: list[Invoice], *, today: dt.date | None = None) -> PlanFact:
    """Invoiced, planned to date, paid, outstanding, overdue and overpaid of the invoices not cancelled or draft."""
    today = today or timezone.localdate()
    out = PlanFact()
    for invoice in invoices:
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
            continue
        c = invoice.currency
        rows, over = invoice_facts(invoice)
        out.invoiced[c] += invoice.total
        out.paid[c] += sum((p.amount for p in invoice.payments.all()), ZERO)
        out.overpaid[c] += over
        for row in rows:
            if row.due_date <= today:
                out.planned_to_date[c] += row.amount
            out.outstanding[c] += row.remaining
            if row.due_date < today:
                out.overdue[c] += row.remaining
    return out


PLAN_FACT_GROUPS = ("client", "manager")


@dataclass
class PlanFactRow:
    """Plan vs fact of one client or manager in one currency."""

    key: int
    name: str
    currency: str
    invoiced: Decimal = ZERO
    planned_to_date: Decimal = ZERO
    paid: Decimal = ZERO
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    overpaid: Decimal = ZERO


def plan_fact_by(*, actor: User, by: str, today: dt.date | None = None) -> list[PlanFactRow]:
    """Plan vs fact of the issued invoices in the actor's scope per client (``by="client"``) or per deal owner
    (``by="manager"``), one row per currency, largest invoiced first. Three queries whatever the number."""
    if by not in PLAN_FACT_GROUPS:
        raise ValueError(by)
    invoices = list(visible_invoices(actor=actor).exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED])
                    .select_related("client", "deal__owner")
                    .prefetch_related(Prefetch("plan_rows", queryset=PlanRow.objects.order_by("due_date", "id")),
                                      Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "id")))
                    .order_by("pk"))
    groups: dict[tuple[int, str], list[Invoice]] = defaultdict(list)
    names: dict[int, str] = {}
    for invoice in invoices:
        who = invoice.client if by == "client" else invoice.deal.owner
        names[who.pk] = str(who.name if by == "client" else who)
        groups[(who.pk, invoice.currency)].append(invoice)
    out = []
    for (pk, currency), members in groups.items():
        facts = plan_fact(members, today=today)
        out.append(PlanFactRow(key=pk, name=names[pk], currency=currency, invoiced=facts.invoiced[currency],
                               planned_to_date=facts.planned_to_date[currency], paid=facts.paid[currency],
                               outstanding=facts.outstanding[currency], overdue=facts.overdue[currency],
                               overpaid=facts.overpaid[currency]))
    out.sort(key=lambda r: (-r.invoiced, r.name, r.currency))
    return out


def bucket_of(days_overdue: int) -> str:
    for key, _label, low, high in BUCKETS:
        if (low is None or days_overdue >= low) and (high is None or days_overdue <= high):
            return key
    return BUCKETS[-1][0]


@dataclass
class ReceivableRow:
    invoice: Invoice
    due_date: dt.date
    remaining: Decimal
    days_overdue: int
    bucket: str


def receivables(*, actor: User, today: dt.date | None = None) -> tuple[list[ReceivableRow], dict]:
    """Every unpaid part of the open invoices in the actor's scope, with its ageing bucket; and the totals
    per currency and bucket. Three queries (invoices, plan rows, payments) whatever the number of invoices."""
    today = today or timezone.localdate()
    invoices = list(visible_invoices(actor=actor).filter(status__in=OPEN_STATUSES)
                    .select_related("deal", "deal__owner", "client")
                    .prefetch_related(Prefetch("plan_rows", queryset=PlanRow.objects.order_by("due_date", "id")),
                                      Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "id")))
                    .order_by("due_date", "id"))
    rows: list[ReceivableRow] = []
    totals: dict[str, dict[str, Decimal]] = {}
    for invoice in invoices:
        facts, _over = invoice_facts(invoice)
        for fact in facts:
            if fact.remaining <= 0:
                continue
            days = (today - fact.due_date).days
            bucket = bucket_of(days)
            rows.append(ReceivableRow(invoice=invoice, due_date=fact.due_date, remaining=fact.remaining,
                                      days_overdue=max(days, 0), bucket=bucket))
            per = totals.setdefault(invoice.currency, {key: ZERO for key, *_rest in BUCKETS} | {"total": ZERO})
            per[bucket] += fact.remaining
            per["total"] += fact.remaining
    rows.sort(key=lambda r: (-r.days_overdue, r.invoice.pk))
    return rows, totals


def overdue_rows(*, today: dt.date) -> list[tuple[Invoice, RowFact]]:
    """Plan rows (or invoices without a plan) past their date with money left to pay, over every open invoice."""
    invoices = (Invoice.objects.filter(status__in=OPEN_STATUSES)
                .select_related("deal", "deal__owner", "client")
                .prefetch_related(Prefetch("plan_rows", queryset=PlanRow.objects.order_by("due_date", "id")),
                                  Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "id")))
                .order_by("pk"))
    found = []
    for invoice in invoices:
        facts, _over = invoice_facts(invoice)
        found.extend((invoice, f) for f in facts if f.due_date < today and f.remaining > 0)
    return found


@dataclass
class ToShip:
    """What is left to deliver of a product of the deal: ordered − shipped (goods) − acted (services)."""

    product_id: int
    name: str
    ordered: Decimal
    shipped: Decimal
    acted: Decimal = Decimal("0")

    @property
    def remaining(self) -> Decimal:
        return self.ordered - self.shipped - self.acted


def deal_shipments(*, deal: Deal) -> list:
    from .models import Shipment

    return list(Shipment.objects.filter(deal=deal).prefetch_related("lines"))


def deal_acts(*, deal: Deal) -> list:
    from .models import Act

    return list(Act.objects.filter(deal=deal).prefetch_related("lines").order_by("-created_at", "-id"))


def get_act(*, actor: User, act_id: int, for_update: bool = False):
    from .models import Act

    visible = Deal.objects.filter(scope_q(actor, "deals.Deal")).values("pk")
    qs = Act.objects.filter(deal_id__in=visible).select_related("deal", "client")
    if for_update:
        qs = qs.select_for_update()
    try:
        return qs.get(pk=act_id)
    except (Act.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Act not found.")) from exc


def left_to_ship(*, deal: Deal, shipments: list | None = None, acts: list | None = None) -> list[ToShip]:
    """Per product of the deal's lines: ordered, shipped (by shipments not returned), acted (by service acts
    not cancelled) and what is left to deliver."""
    from .models import ActStatus, ShipmentStatus

    shipments = deal_shipments(deal=deal) if shipments is None else shipments
    acts = deal_acts(deal=deal) if acts is None else acts
    out: dict[int, ToShip] = {}
    for line in deal.lines.select_related("product").order_by("id"):
        row = out.setdefault(line.product_id, ToShip(line.product_id, line.product.name, Decimal("0"), Decimal("0")))
        row.ordered += line.quantity
    for shipment in shipments:
        if shipment.status == ShipmentStatus.RETURNED:
            continue
        for line in shipment.lines.all():
            row = out.setdefault(line.product_id, ToShip(line.product_id, line.name, Decimal("0"), Decimal("0")))
            row.shipped += line.quantity
    for act in acts:
        if act.status == ActStatus.CANCELLED:
            continue
        for line in act.lines.all():
            if line.product_id is None:
                continue
            row = out.setdefault(line.product_id, ToShip(line.product_id, line.name, Decimal("0"), Decimal("0")))
            row.acted += line.quantity
    return list(out.values())


def get_shipment(*, actor: User, shipment_id: int):
    from .models import Shipment

    visible = Deal.objects.filter(scope_q(actor, "deals.Deal")).values("pk")
    try:
        return Shipment.objects.filter(deal_id__in=visible).select_related("deal", "deal__client").get(pk=shipment_id)
    except (Shipment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Shipment not found.")) from exc


DELIVERY_DAYS = 14  # a shipment still not delivered this long after it went out is overdue


def overdue_shipments(*, actor: User, today: dt.date | None = None) -> list:
    """Control list, in the actor's scope: planned shipments past their date and shipments sent more than
    ``DELIVERY_DAYS`` ago and still not delivered; the most overdue first. One query."""
    from .models import Shipment, ShipmentStatus

    today = today or timezone.localdate()
    late = (Q(status=ShipmentStatus.PLANNED, shipped_on__lt=today)
            | Q(status=ShipmentStatus.SHIPPED, shipped_on__lt=today - dt.timedelta(days=DELIVERY_DAYS)))
    visible = Deal.objects.filter(scope_q(actor, "deals.Deal")).values("pk")
    rows = list(Shipment.objects.filter(late, deal_id__in=visible)
                .select_related("deal", "deal__client", "deal__owner").order_by("shipped_on", "id"))
    for row in rows:
        limit = row.shipped_on if row.status == ShipmentStatus.PLANNED else (
            row.shipped_on + dt.timedelta(days=DELIVERY_DAYS))
        row.days_overdue = (today - limit).days
    return rows
