"""Writes of billing: requisites, invoices (create, issue, cancel, re-issue, send), payment plans, payments.

Every write checks the actor (``require_perm``) and every object handed in (``require_visible``: a hidden
deal or invoice is not found), runs in a transaction and records a domain event. Invoice numbers come from
``InvoiceCounter`` locked with ``select_for_update`` (on SQLite the write lock serialises writers), so
concurrent issues never share a number and never leave a gap.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import require_perm, require_visible
from voronka.activities.models import ActivityKind
from voronka.activities.services import log_activity
from voronka.catalog.fields import parse_date
from voronka.catalog.models import Product
from voronka.clients.normalize import normalize_email, normalize_inn
from voronka.core.errors import Conflict, DomainError
from voronka.core.formatting import format_money
from voronka.core.money import parse_decimal, parse_money
from voronka.core.requisites import REQUISITE_LENGTHS, normalize_requisite
from voronka.deals.models import Deal, DealStatus
from voronka.events.services import record_event

from .models import (
    ACT_MOVES,
    SHIPMENT_MOVES,
    Act,
    ActCounter,
    ActLine,
    ActStatus,
    CompanyRequisites,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PlanRow,
    ProductVat,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    VatRate,
    vat_percent,
)
from .selectors import get_requisites, left_to_ship, product_vat_rates

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")
MAX_PLAN_ROWS = 60
TEXT_FIELDS = {"legal_name": 255, "address": 500, "bank_name": 255, "director": 160, "accountant": 160}
REQUISITE_FIELDS = (*TEXT_FIELDS, "inn", *REQUISITE_LENGTHS, "vat_rate", "prices_include_vat", "payment_days")


class IssuedInvoiceLocked(Conflict):
    default_code = "invoice_not_draft"

    def __init__(self) -> None:
        super().__init__(_("An issued invoice cannot be changed: cancel it and issue a new one."), field="status")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_of(amount: Decimal, rate: str, *, included: bool) -> Decimal:
    """The VAT of a line amount: included in it (``amount × r / (100 + r)``) or on top (``amount × r / 100``)."""
    percent = vat_percent(rate)
    if not percent:
        return Decimal("0.00")
    return _money(amount * percent / (100 + percent) if included else amount * percent / 100)


def _check_vat(rate: Any, *, field: str = "vat_rate") -> str:
    if rate not in VatRate.values:
        raise DomainError(_("Choose a VAT rate from the list."), field=field)
    return rate


# --- requisites -----------------------------------------------------------------------------------------------

@transaction.atomic
def update_requisites(*, actor: User, **fields: Any) -> CompanyRequisites:
    """Change the company's requisites (administrators)."""
    require_perm(actor, "configure")
    unknown = set(fields) - set(REQUISITE_FIELDS)
    if unknown:
        raise DomainError(_("Unknown requisites: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    requisites = CompanyRequisites.objects.select_for_update().filter(pk=1).first() or CompanyRequisites(pk=1)
    data: dict[str, Any] = {}
    for name, value in fields.items():
        if name in TEXT_FIELDS:
            text = str(value or "").strip()
            if len(text) > TEXT_FIELDS[name]:
                raise DomainError(_("At most %(n)s characters.") % {"n": TEXT_FIELDS[name]}, field=name)
            data[name] = text
        elif name == "inn":
            data[name] = normalize_inn(value or "")
        elif name in REQUISITE_LENGTHS:
            data[name] = normalize_requisite(name, value)
        elif name == "vat_rate":
            data[name] = _check_vat(value)
        elif name == "prices_include_vat":
            if not isinstance(value, bool):
                raise DomainError(_("Yes or no."), field=name)
            data[name] = value
        elif name == "payment_days":
            data[name] = int(parse_decimal(value, field=name, max_digits=3, decimal_places=0, minimum=0,
                                           maximum=365))
    changes = {k: (getattr(requisites, k), v) for k, v in data.items() if getattr(requisites, k) != v}
    for name, value in data.items():
        setattr(requisites, name, value)
    requisites.save()
    if changes:
        record_event(actor=actor, verb="billing.requisites_updated", target=requisites, changes=changes)
    return requisites


@transaction.atomic
def set_product_vat(*, actor: User, product: Product, vat_rate: str | None) -> None:
    """A product's own VAT rate; ``None`` or "" returns it to the installation's default (administrators)."""
    require_perm(actor, "configure")
    old = ProductVat.objects.filter(product=product).values_list("vat_rate", flat=True).first()
    if vat_rate in (None, ""):
        ProductVat.objects.filter(product=product).delete()
    else:
        ProductVat.objects.update_or_create(product=product, defaults={"vat_rate": _check_vat(vat_rate)})
    if old != (vat_rate or None):
        record_event(actor=actor, verb="billing.product_vat_set", target=product,
                     changes={"vat_rate": (old, vat_rate or None)})


# --- invoices -------------------------------------------------------------------------------------------------

def _seller(req: CompanyRequisites) -> dict[str, Any]:
    return {f: getattr(req, f) for f in ("legal_name", "inn", "kpp", "ogrn", "address", "bank_name", "bik",
                                         "corr_account", "settlement_account", "director", "accountant",
                                         "logo", "stamp", "signature")}


def _buyer(client) -> dict[str, Any]:
    return {"name": client.name, "inn": client.inn, "kpp": client.kpp, "ogrn": client.ogrn,
            "address": client.legal_address or client.address, "bank_name": client.bank_name, "bik": client.bik,
            "settlement_account": client.settlement_account, "corr_account": client.corr_account}


def _parse_share(share: Any) -> Decimal | None:
    if share in (None, ""):
        return None
    value = parse_decimal(share, field="share_pct", max_digits=5, decimal_places=2, minimum=0, maximum=100)
    if value <= 0:
        raise DomainError(_("The share is more than 0 and at most 100%."), field="share_pct")
    return None if value == 100 else value


def _parse_line_ids(line_ids: Any) -> list[int] | None:
    if line_ids in (None, ""):
        return None
    if not isinstance(line_ids, list | tuple) or not line_ids or len(line_ids) > 100:
        raise DomainError(_("Choose at least one line."), field="lines")
    out = []
    for value in line_ids:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isascii()
                                                                        and value.isdigit())):
            raise DomainError(_("Choose lines of this deal."), field="lines")
        out.append(int(value))
    return out


def _draft_lines(deal: Deal, *, line_ids: list[int] | None, share: Decimal | None,
                 req: CompanyRequisites) -> list[InvoiceLine]:
    deal_lines = list(deal.lines.select_related("product").order_by("id"))
    if line_ids is not None:
        chosen = [line for line in deal_lines if line.pk in set(line_ids)]
        if len(chosen) != len(set(line_ids)):
            raise DomainError(_("Choose lines of this deal."), field="lines")
        deal_lines = chosen
    rates = product_vat_rates([line.product_id for line in deal_lines])
    lines: list[InvoiceLine] = []
    if deal_lines:
        for line in deal_lines:
            gross = line.quantity * line.price * (100 - line.discount_pct) / 100
            lines.append(InvoiceLine(name=line.product.name, product=line.product, quantity=line.quantity,
                                     price=_money(gross / line.quantity), amount=_money(gross),
                                     vat_rate=rates.get(line.product_id, req.vat_rate)))
    elif line_ids is None and deal.amount > 0:
        lines.append(InvoiceLine(name=deal.title, quantity=Decimal("1"), price=deal.amount, amount=deal.amount,
                                 vat_rate=rates.get(deal.product_id, req.vat_rate) if deal.product_id
                                 else req.vat_rate))
    if not lines:
        raise DomainError(_("The deal has neither product lines nor an amount to invoice."), field="lines")
    if share is not None:
        for line in lines:
            line.name = _("Advance payment %(share)s%%: %(name)s") % {"share": f"{share.normalize():f}",
                                                                       "name": line.name}
            line.amount = _money(line.amount * share / 100)
            line.price, line.quantity = line.amount, Decimal("1")
    for position, line in enumerate(lines, start=1):
        line.position = position
        line.vat_amount = vat_of(line.amount, line.vat_rate, included=req.prices_include_vat)
    return lines


@transaction.atomic
def create_invoice(*, actor: User, deal: Deal, line_ids: Any = None, share_pct: Any = None, due_date: Any = None,
                   comment: str = "", issue: bool = True) -> Invoice:
    """An invoice from the deal: all its lines (or the amount of a deal without lines), ``line_ids`` of them,
    or ``share_pct`` of them (a partial invoice). Issued (numbered) at once unless ``issue`` is false."""
    require_visible(actor, deal, field="deal")
    require_perm(actor, "change", deal)
    deal = Deal.objects.select_for_update().select_related("client").get(pk=deal.pk)
    if deal.status == DealStatus.LOST:
        raise DomainError(_("A lost deal is not invoiced."), field="deal")
    req = get_requisites()
    share = _parse_share(share_pct)
    lines = _draft_lines(deal, line_ids=_parse_line_ids(line_ids), share=share, req=req)
    due = parse_date(due_date, field="due_date") or timezone.localdate() + dt.timedelta(days=req.payment_days)
    comment = str(comment or "").strip()
    if len(comment) > 500:
        raise DomainError(_("At most %(n)s characters.") % {"n": 500}, field="comment")
    invoice = Invoice(deal=deal, client=deal.client, due_date=due, currency=deal.currency,
                      prices_include_vat=req.prices_include_vat, share_pct=share, comment=comment,
                      created_by=actor if actor.pk else None)
    _set_totals(invoice, lines)
    invoice.save()
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    record_event(actor=actor, verb="invoice.created", target=invoice,
                 data={"deal": deal.pk, "total": invoice.total, "share_pct": share})
    if issue:
        invoice = issue_invoice(actor=actor, invoice=invoice)
    return invoice


def _set_totals(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    amount = sum((line.amount for line in lines), Decimal("0.00"))
    vat = sum((line.vat_amount for line in lines), Decimal("0.00"))
    invoice.vat_amount = vat
    if invoice.prices_include_vat:
        invoice.total, invoice.subtotal = amount, amount - vat
    else:
        invoice.total, invoice.subtotal = amount + vat, amount
    if invoice.total > Decimal("999999999999.99"):
        raise DomainError(_("The total is too large."), field="lines")


def _lock(actor: User, invoice: Invoice) -> Invoice:
    require_visible(actor, invoice.deal, field="invoice")
    require_perm(actor, "change", invoice.deal)
    return Invoice.objects.select_for_update().select_related("deal", "client").get(pk=invoice.pk)


def next_number(year: int) -> int:
    """The next number of ``year``, taken under a row lock (call inside a transaction)."""
    counter = InvoiceCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():  # a concurrent first invoice of the year inserts the row too
                InvoiceCounter.objects.create(year=year, last_number=0)
        except IntegrityError:
            pass
        counter = InvoiceCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def issue_invoice(*, actor: User, invoice: Invoice) -> Invoice:
    """Give a draft its number (the next of the year) and freeze it, with the requisites as they are now."""
    invoice = _lock(actor, invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise IssuedInvoiceLocked()
    today = timezone.localdate()
    invoice.year, invoice.issue_date = today.year, today
    invoice.number = next_number(today.year)
    invoice.status = InvoiceStatus.ISSUED
    invoice.seller = _seller(get_requisites())
    invoice.buyer = _buyer(invoice.client)
    invoice.save()
    record_event(actor=actor, verb="invoice.issued", target=invoice,
                 changes={"status": (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED), "number": (None, invoice.number)},
                 data={"deal": invoice.deal_id, "total": invoice.total, "year": invoice.year})
    log_activity(kind=ActivityKind.SYSTEM, author=actor if actor.pk else None, deal=invoice.deal,
                 body=_("Invoice № %(number)s issued: %(total)s %(currency)s.") % {
                     "number": invoice.display_number, "total": invoice.total, "currency": invoice.currency},
                 data={"invoice": invoice.pk})
    logger.info("invoice issued", extra={"invoice_id": invoice.pk, "deal_id": invoice.deal_id})
    return invoice


@transaction.atomic
def update_draft(*, actor: User, invoice: Invoice, due_date: Any = None, comment: Any = None) -> Invoice:
    """Change a draft's due date or payment purpose; an issued invoice is refused (cancel and re-issue)."""
    invoice = _lock(actor, invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise IssuedInvoiceLocked()
    changes = {}
    if due_date is not None:
        due = parse_date(due_date, field="due_date")
        if due is None:
            raise DomainError(_("Enter the due date."), field="due_date")
        changes["due_date"] = (invoice.due_date, due)
        invoice.due_date = due
    if comment is not None:
        text = str(comment).strip()[:500]
        changes["comment"] = (invoice.comment, text)
        invoice.comment = text
    invoice.save()
    record_event(actor=actor, verb="invoice.updated", target=invoice, changes=changes)
    return invoice


@transaction.atomic
def cancel_invoice(*, actor: User, invoice: Invoice, reason: str = "") -> Invoice:
    """Cancel an invoice with no payments; it keeps its number (no gap) and stays in the list."""
    invoice = _lock(actor, invoice)
    if invoice.status == InvoiceStatus.CANCELLED:
        raise Conflict(_("The invoice is already cancelled."), field="status")
    if invoice.payments.exists():
        raise Conflict(_("An invoice with payments cannot be cancelled."), field="status")
    old = invoice.status
    invoice.status, invoice.cancelled_at = InvoiceStatus.CANCELLED, timezone.now()
    invoice.save(update_fields=["status", "cancelled_at"])
    record_event(actor=actor, verb="invoice.cancelled", target=invoice,
                 changes={"status": (old, InvoiceStatus.CANCELLED)}, data={"reason": str(reason or "")[:500]})
    log_activity(kind=ActivityKind.SYSTEM, author=actor if actor.pk else None, deal=invoice.deal,
                 body=_("Invoice № %(number)s cancelled.") % {"number": invoice.display_number},
                 data={"invoice": invoice.pk})
    return invoice


@transaction.atomic
def reissue_invoice(*, actor: User, invoice: Invoice, due_date: Any = None) -> Invoice:
    """Cancel the invoice and issue a copy of it under the next number; both are kept (``replaces``)."""
    old = cancel_invoice(actor=actor, invoice=invoice, reason="reissued")
    due = parse_date(due_date, field="due_date") if due_date not in (None, "") else old.due_date
    new = Invoice(deal=old.deal, client=old.client, due_date=due, currency=old.currency,
                  prices_include_vat=old.prices_include_vat, share_pct=old.share_pct, comment=old.comment,
                  subtotal=old.subtotal, vat_amount=old.vat_amount, total=old.total, replaces=old,
                  created_by=actor if actor.pk else None)
    new.save()
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=new, position=line.position, name=line.name, product_id=line.product_id,
                    unit=line.unit, quantity=line.quantity, price=line.price, amount=line.amount,
                    vat_rate=line.vat_rate, vat_amount=line.vat_amount) for line in old.lines.all()])
    record_event(actor=actor, verb="invoice.created", target=new,
                 data={"deal": new.deal_id, "total": new.total, "replaces": old.pk})
    return issue_invoice(actor=actor, invoice=new)


# --- plan and payments --------------------------------------------------------------------------------------

def _require_billable(invoice: Invoice) -> None:
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        raise DomainError(_("Issue the invoice first; a cancelled invoice takes no plan or payments."),
                          field="invoice")


def equal_instalments(total: Decimal, count: int, first_due: dt.date, every_days: int) -> list[dict[str, Any]]:
    """``count`` rows of equal amounts (the last takes the rounding) every ``every_days`` days."""
    part = _money(total / count)
    rows = [{"due_date": first_due + dt.timedelta(days=every_days * i), "amount": part} for i in range(count)]
    rows[-1]["amount"] = total - part * (count - 1)
    return rows


@transaction.atomic
def set_payment_plan(*, actor: User, invoice: Invoice, rows: Any = None, instalments: Any = None,
                     first_due: Any = None, every_days: Any = 30) -> list[PlanRow]:
    """Replace the invoice's plan: typed ``rows`` (due date, amount) or ``instalments`` equal parts from
    ``first_due`` every ``every_days`` days; the rows must sum to the invoice total."""
    invoice = _lock(actor, invoice)
    _require_billable(invoice)
    if instalments not in (None, ""):
        count = int(parse_decimal(instalments, field="instalments", max_digits=3, decimal_places=0, minimum=1,
                                  maximum=MAX_PLAN_ROWS))
        every = int(parse_decimal(every_days if every_days not in (None, "") else 30, field="every_days",
                                  max_digits=3, decimal_places=0, minimum=1, maximum=366))
        start = parse_date(first_due, field="first_due") or invoice.due_date
        rows = equal_instalments(invoice.total, count, start, every)
    if not isinstance(rows, list | tuple) or not rows or len(rows) > MAX_PLAN_ROWS:
        raise DomainError(_("Enter from 1 to %(n)s planned payments.") % {"n": MAX_PLAN_ROWS}, field="rows")
    parsed = []
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise DomainError(_("Row %(n)s: enter a date and an amount.") % {"n": index}, field="rows")
        due = parse_date(row.get("due_date"), field="rows")
        amount = parse_money(row.get("amount"), field="rows", label=_("Row %(n)s") % {"n": index})
        if due is None or amount <= 0:
            raise DomainError(_("Row %(n)s: enter a date and an amount above 0.") % {"n": index}, field="rows")
        parsed.append(PlanRow(invoice=invoice, due_date=due, amount=amount))
    planned = sum((r.amount for r in parsed), Decimal("0.00"))
    if planned != invoice.total:
        raise DomainError(_("The planned payments sum to %(sum)s, the invoice total is %(total)s.")
                          % {"sum": planned, "total": invoice.total}, field="rows", code="plan_sum")
    old = [(r.due_date.isoformat(), str(r.amount)) for r in invoice.plan_rows.all()]
    invoice.plan_rows.all().delete()
    PlanRow.objects.bulk_create(parsed)
    record_event(actor=actor, verb="invoice.plan_set", target=invoice,
                 changes={"plan": (old, [(r.due_date.isoformat(), str(r.amount)) for r in parsed])})
    return list(invoice.plan_rows.order_by("due_date", "id"))


def _status_for(invoice: Invoice) -> str:
    if invoice.paid_amount <= 0:
        return InvoiceStatus.ISSUED
    return InvoiceStatus.PAID if invoice.paid_amount >= invoice.total else InvoiceStatus.PARTLY_PAID


@transaction.atomic
def record_payment(*, actor: User, invoice: Invoice, amount: Any, paid_on: Any = None,
                   method: str = PaymentMethod.BANK, reference: str = "", plan_row: Any = None) -> Payment:
    """Money received against an issued invoice. A partial payment makes it partly paid; more than the rest is
    kept and shown as an overpayment. Written on the deal's timeline."""
    invoice = _lock(actor, invoice)
    _require_billable(invoice)
    value = parse_money(amount, field="amount")
    if value <= 0:
        raise DomainError(_("Enter an amount above 0."), field="amount")
    day = parse_date(paid_on, field="paid_on") or timezone.localdate()
    if day > timezone.localdate() + dt.timedelta(days=1):
        raise DomainError(_("A payment cannot be in the future."), field="paid_on")
    if method not in PaymentMethod.values:
        raise DomainError(_("Choose a payment method from the list."), field="method")
    reference = str(reference or "").strip()
    if len(reference) > 255:
        raise DomainError(_("At most %(n)s characters.") % {"n": 255}, field="reference")
    if invoice.paid_amount + value > Decimal("999999999999.99"):
        raise DomainError(_("The amount is too large."), field="amount")
    row = None
    if plan_row not in (None, ""):
        pk = plan_row.pk if isinstance(plan_row, PlanRow) else plan_row
        row = PlanRow.objects.filter(pk=pk, invoice=invoice).first() if str(pk).isdigit() else None
        if row is None:
            raise DomainError(_("Choose a row of this invoice's plan."), field="plan_row")
    payment = Payment.objects.create(invoice=invoice, paid_on=day, amount=value, method=method,
                                     reference=reference, plan_row=row, created_by=actor if actor.pk else None)
    old_status, old_paid = invoice.status, invoice.paid_amount
    invoice.paid_amount += value
    invoice.status = _status_for(invoice)
    invoice.save(update_fields=["paid_amount", "status"])
    record_event(actor=actor, verb="payment.recorded", target=payment,
                 data={"invoice": invoice.pk, "deal": invoice.deal_id, "amount": value})
    record_event(actor=actor, verb="invoice.paid_changed", target=invoice,
                 changes={"paid_amount": (old_paid, invoice.paid_amount), "status": (old_status, invoice.status)})
    log_activity(kind=ActivityKind.SYSTEM, author=actor if actor.pk else None, deal=invoice.deal,
                 body=_("Payment of %(amount)s %(currency)s received for invoice № %(number)s.") % {
                     "amount": value, "currency": invoice.currency, "number": invoice.display_number},
                 data={"invoice": invoice.pk, "payment": payment.pk})
    return payment


# --- sending ------------------------------------------------------------------------------------------------

def recipient_of(invoice: Invoice) -> str:
    """The deal's contact's email, else the client's primary contact's, else the client's own."""
    return recipient_of_deal(invoice.deal)


def recipient_of_deal(deal: Deal) -> str:
    if deal.contact_id and deal.contact.email:
        return deal.contact.email
    contact = deal.client.contacts.exclude(email="").order_by("-is_primary", "id").first()
    return contact.email if contact is not None else deal.client.email


def send_invoice(*, actor: User, invoice: Invoice, to: str = "", language: str = "ru") -> Invoice:
    """Email the invoice's PDF to the client's contact; the send goes on the deal's timeline."""
    from .pdf import render_invoice_pdf

    require_visible(actor, invoice.deal, field="invoice")
    require_perm(actor, "change", invoice.deal)
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        raise DomainError(_("Only an issued invoice is sent."), field="status")
    address = normalize_email(to, field="to") if to else recipient_of(invoice)
    if not address:
        raise DomainError(_("The client has no email address: add a contact with an email."), field="to")
    pdf = render_invoice_pdf(invoice, language=language)
    subject = _("Invoice № %(number)s") % {"number": invoice.display_number}
    body = _("Please find attached invoice № %(number)s for %(total)s %(currency)s, due %(due)s.") % {
        "number": invoice.display_number, "total": invoice.total, "currency": invoice.currency,
        "due": invoice.due_date.isoformat()}
    message = EmailMessage(subject=subject, body=body, to=[address])
    message.attach(f"invoice-{invoice.number}-{invoice.year}.pdf", pdf, "application/pdf")
    try:
        message.send()
    except OSError as exc:
        logger.warning("invoice mail failed", extra={"invoice_id": invoice.pk})
        raise DomainError(_("The mail server did not take the message; try again later."), field="to") from exc
    with transaction.atomic():
        invoice.sent_at = timezone.now()
        Invoice.objects.filter(pk=invoice.pk).update(sent_at=invoice.sent_at)
        log_activity(kind=ActivityKind.EMAIL, author=actor if actor.pk else None, deal=invoice.deal,
                     body=_("Invoice № %(number)s sent to %(to)s.") % {"number": invoice.display_number,
                                                                      "to": address},
                     data={"invoice": invoice.pk, "to": address})
        record_event(actor=actor, verb="invoice.sent", target=invoice, data={"to": address})
    return invoice



def _chosen_quantities(lines: Any, *, products: Iterable[int], left: dict) -> dict[int, Decimal]:
    """The quantities chosen per product for a shipment or an act: ``lines`` maps product ids to quantities
    (blank and zero skipped); none given means all that is left of each of ``products``."""
    products = list(products)
    if lines in (None, "", {}):
        return {pid: left[pid].remaining for pid in products if left[pid].remaining > 0}
    if not isinstance(lines, dict):
        raise DomainError(_("Choose products of this deal."), field="lines")
    wanted = {}
    for key, raw in lines.items():
        pid = int(key) if str(key).isascii() and str(key).isdigit() else None
        if pid not in products:
            raise DomainError(_("Choose products of this deal."), field="lines")
        if raw in (None, ""):
            continue
        quantity = parse_decimal(raw, field="lines", max_digits=12, decimal_places=3, minimum=0)
        if quantity > 0:
            wanted[pid] = quantity
    return wanted


# --- shipments ----------------------------------------------------------------------------------------------

@transaction.atomic
def create_shipment(*, actor: User, deal: Deal, number: Any, shipped_on: Any = None, lines: Any = None,
                    status: str = "planned", comment: str = "") -> Shipment:
    """A shipment of the deal's products: ``lines`` maps a product id to a quantity (default: all that is left);
    no more than is left to ship of each product."""
    require_visible(actor, deal, field="deal")
    require_perm(actor, "change", deal)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    number = str(number or "").strip()
    if not number or len(number) > 64:
        raise DomainError(_("Enter the waybill number (at most 64 characters)."), field="number")
    if status not in ShipmentStatus.values or status == ShipmentStatus.RETURNED:
        raise DomainError(_("Choose a status from the list."), field="status")
    day = parse_date(shipped_on, field="shipped_on") or timezone.localdate()
    left = {row.product_id: row for row in left_to_ship(deal=deal)}
    wanted = _chosen_quantities(lines, products=left, left=left)
    if not wanted:
        raise DomainError(_("Nothing to ship: every product of the deal is shipped."), field="lines")
    for pid, quantity in wanted.items():
        if quantity > left[pid].remaining:
            raise DomainError(_("%(name)s: at most %(left)s is left to ship.") % {
                "name": left[pid].name, "left": f"{left[pid].remaining.normalize():f}"}, field="lines")
    shipment = Shipment.objects.create(deal=deal, number=number, shipped_on=day, status=status,
                                       comment=str(comment or "").strip()[:500],
                                       created_by=actor if actor.pk else None)
    ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, product_id=pid, name=left[pid].name,
                                                   quantity=quantity) for pid, quantity in wanted.items()])
    record_event(actor=actor, verb="shipment.created", target=shipment,
                 data={"deal": deal.pk, "number": number, "status": status})
    log_activity(kind=ActivityKind.SYSTEM, author=actor if actor.pk else None, deal=deal,
                 body=_("Shipment № %(number)s recorded.") % {"number": number}, data={"shipment": shipment.pk})
    return shipment


@transaction.atomic
def set_shipment_status(*, actor: User, shipment: Shipment, status: str) -> Shipment:
    """planned → shipped → delivered; any of them → returned (its quantities are left to ship again)."""
    require_visible(actor, shipment.deal, field="shipment")
    require_perm(actor, "change", shipment.deal)
    shipment = Shipment.objects.select_for_update().select_related("deal").get(pk=shipment.pk)
    if status not in SHIPMENT_MOVES.get(shipment.status, ()):
        raise DomainError(_("A shipment cannot move from “%(old)s” to this status.") % {
            "old": shipment.get_status_display()}, field="status")
    old = shipment.status
    shipment.status = status
    shipment.save(update_fields=["status"])
    record_event(actor=actor, verb="shipment.status_changed", target=shipment, changes={"status": (old, status)})
    return shipment


# --- service acts ---------------------------------------------------------------------------------------------

def next_act_number(year: int) -> int:
    """The next act number of ``year``, under a row lock (call inside a transaction)."""
    counter = ActCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                ActCounter.objects.create(year=year, last_number=0)
        except IntegrityError:
            pass
        counter = ActCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _act_lines(deal: Deal, lines: Any, req: CompanyRequisites) -> list[ActLine]:
    """``lines`` maps a product id of the deal to a quantity (default: all that is left to deliver); the price
    is the deal's (after its discount). A deal without product lines is acted for its amount, once."""
    deal_lines = list(deal.lines.select_related("product").order_by("id"))
    rates = product_vat_rates([line.product_id for line in deal_lines] + ([deal.product_id] if deal.product_id
                                                                          else []))
    if not deal_lines:
        if lines not in (None, "", {}):
            raise DomainError(_("Choose products of this deal."), field="lines")
        if deal.amount <= 0:
            raise DomainError(_("The deal has neither product lines nor an amount to act."), field="lines")
        if deal.acts.exclude(status=ActStatus.CANCELLED).exists():
            raise DomainError(_("Nothing to act: the deal's amount is in an act already."), field="lines")
        return [ActLine(position=1, name=deal.title, quantity=Decimal("1"), price=deal.amount, amount=deal.amount,
                        vat_rate=rates.get(deal.product_id, req.vat_rate) if deal.product_id else req.vat_rate)]
    ordered: dict[int, list] = {}
    for line in deal_lines:
        gross = line.quantity * line.price * (100 - line.discount_pct) / 100
        entry = ordered.setdefault(line.product_id, [line.product.name, Decimal("0"), Decimal("0")])
        entry[1] += line.quantity
        entry[2] += gross
    left = {row.product_id: row for row in left_to_ship(deal=deal)}
    wanted = _chosen_quantities(lines, products=ordered, left=left)
    if not wanted:
        raise DomainError(_("Nothing to act: every product of the deal is delivered."), field="lines")
    out = []
    for position, (pid, quantity) in enumerate(wanted.items(), start=1):
        if quantity > left[pid].remaining:
            raise DomainError(_("%(name)s: at most %(left)s is left to deliver.") % {
                "name": left[pid].name, "left": f"{left[pid].remaining.normalize():f}"}, field="lines")
        name, count, gross = ordered[pid]
        price = _money(gross / count)
        amount = _money(gross * quantity / count)
        out.append(ActLine(position=position, product_id=pid, name=name, quantity=quantity, price=price,
                           amount=amount, vat_rate=rates.get(pid, req.vat_rate)))
    return out


@transaction.atomic
def create_act(*, actor: User, deal: Deal, lines: Any = None, act_date: Any = None, comment: str = "",
               issue: bool = True) -> Act:
    """A service act of the deal: ``lines`` (product id → quantity; default all that is left to deliver) at the
    deal's prices. Issued (numbered) at once unless ``issue`` is false."""
    require_visible(actor, deal, field="deal")
    require_perm(actor, "change", deal)
    deal = Deal.objects.select_for_update().select_related("client").get(pk=deal.pk)
    if deal.status == DealStatus.LOST:
        raise DomainError(_("A lost deal has no acts."), field="deal")
    req = get_requisites()
    act_lines = _act_lines(deal, lines, req)
    day = parse_date(act_date, field="act_date") or timezone.localdate()
    if day > timezone.localdate() + dt.timedelta(days=1):
        raise DomainError(_("An act cannot be dated in the future."), field="act_date")
    comment = str(comment or "").strip()
    if len(comment) > 500:
        raise DomainError(_("At most %(n)s characters.") % {"n": 500}, field="comment")
    for line in act_lines:
        line.vat_amount = vat_of(line.amount, line.vat_rate, included=req.prices_include_vat)
    amount = sum((line.amount for line in act_lines), Decimal("0.00"))
    vat = sum((line.vat_amount for line in act_lines), Decimal("0.00"))
    total, subtotal = (amount, amount - vat) if req.prices_include_vat else (amount + vat, amount)
    if total > Decimal("999999999999.99"):
        raise DomainError(_("The total is too large."), field="lines")
    act = Act.objects.create(deal=deal, client=deal.client, act_date=day, currency=deal.currency,
                             prices_include_vat=req.prices_include_vat, subtotal=subtotal, vat_amount=vat,
                             total=total, comment=comment, created_by=actor if actor.pk else None)
    for line in act_lines:
        line.act = act
    ActLine.objects.bulk_create(act_lines)
    record_event(actor=actor, verb="act.created", target=act, data={"deal": deal.pk, "total": total})
    if issue:
        act = issue_act(actor=actor, act=act)
    return act


def _lock_act(actor: User, act: Act) -> Act:
    require_visible(actor, act.deal, field="act")
    require_perm(actor, "change", act.deal)
    return Act.objects.select_for_update().select_related("deal", "client").get(pk=act.pk)


def _move_act(act: Act, status: str) -> None:
    if status not in ACT_MOVES.get(act.status, ()):
        raise Conflict(_("An act cannot move from “%(old)s” to this status.") % {"old": act.get_status_display()},
                       field="status")


@transaction.atomic
def issue_act(*, actor: User, act: Act) -> Act:
    """Give a draft act the next number of the year and freeze the requisites as they are now."""
    act = _lock_act(actor, act)
    _move_act(act, ActStatus.ISSUED)
    act.year = act.act_date.year
    act.number = next_act_number(act.year)
    act.status = ActStatus.ISSUED
    act.seller = _seller(get_requisites())
    act.buyer = _buyer(act.client)
    act.save()
    record_event(actor=actor, verb="act.issued", target=act,
                 changes={"status": (ActStatus.DRAFT, ActStatus.ISSUED), "number": (None, act.number)},
                 data={"deal": act.deal_id, "total": act.total, "year": act.year})
    log_activity(kind=ActivityKind.SYSTEM, author=actor if actor.pk else None, deal=act.deal,
                 body=_("Service act № %(number)s issued: %(total)s.") % {
                     "number": act.display_number, "total": format_money(act.total, act.currency)},
                 data={"act": act.pk})
    return act


@transaction.atomic
def sign_act(*, actor: User, act: Act) -> Act:
    """The client signed the act (it can no longer be cancelled)."""
    act = _lock_act(actor, act)
    _move_act(act, ActStatus.SIGNED)
    act.status, act.signed_at = ActStatus.SIGNED, timezone.now()
    act.save(update_fields=["status", "signed_at"])
    record_event(actor=actor, verb="act.signed", target=act, changes={"status": (ActStatus.ISSUED, ActStatus.SIGNED)})
    log_activity(kind=ActivityKind.SYSTEM, author=actor if actor.pk else None, deal=act.deal,
                 body=_("Service act № %(number)s signed by the client.") % {"number": act.display_number},
                 data={"act": act.pk})
    return act


@transaction.atomic
def cancel_act(*, actor: User, act: Act, reason: str = "") -> Act:
    """Cancel a draft or issued act: it keeps its number (no gap), stays listed, and its quantities are left to
    deliver again."""
    act = _lock_act(actor, act)
    _move_act(act, ActStatus.CANCELLED)
    old = act.status
    act.status, act.cancelled_at = ActStatus.CANCELLED, timezone.now()
    act.save(update_fields=["status", "cancelled_at"])
    record_event(actor=actor, verb="act.cancelled", target=act, changes={"status": (old, ActStatus.CANCELLED)},
                 data={"reason": str(reason or "")[:500]})
    log_activity(kind=ActivityKind.SYSTEM, author=actor if actor.pk else None, deal=act.deal,
                 body=_("Service act № %(number)s cancelled.") % {"number": act.display_number},
                 data={"act": act.pk})
    return act
