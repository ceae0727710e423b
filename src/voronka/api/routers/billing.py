"""Billing: invoices of a deal (create: all lines by default), an invoice, its PDF, its payment plan and payments,
the receivables. Same scope as the deal: an invoice of a hidden deal is not found."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from voronka.billing.pdf import render_act_pdf, render_invoice_pdf, render_shipment_pdf
from voronka.billing.selectors import (
    deal_acts,
    deal_invoices,
    get_act,
    get_invoice,
    get_shipment,
    invoice_facts,
    plan_fact,
    receivables,
)
from voronka.billing.services import (
    cancel_act,
    create_act,
    create_invoice,
    create_shipment,
    issue_act,
    record_payment,
    send_invoice,
    set_payment_plan,
    set_shipment_status,
    sign_act,
)
from voronka.deals.selectors import get_deal

from ..schemas import ERRORS, Amount, Date, Id, LongText, Ref, Text

router = Router(tags=["billing"])


class InvoiceIn(Schema):
    """What to invoice; without a body: all lines of the deal, issued at once."""

    lines: list[Id] | None = Field(None, max_length=100, description="Deal line ids; default: all lines.")
    share_pct: Amount | None = Field(None, description="A partial invoice: this share (0–100) of the lines.")
    due_date: Date | None = Field(None, description="Default: today plus the company's days to pay.")
    comment: Text = ""
    issue: bool = Field(True, description="false: a draft without a number.")


class LineOut(Schema):
    position: int
    name: str
    quantity: str
    unit: str
    price: str
    amount: str
    vat_rate: str
    vat_amount: str


class PlanRowOut(Schema):
    due_date: Date
    amount: str
    paid: str
    remaining: str


class PaymentOut(Schema):
    id: int
    paid_on: Date
    amount: str
    method: str
    reference: str


class InvoiceOut(Schema):
    id: int
    number: int | None
    year: int | None
    display_number: str
    status: Literal["draft", "issued", "partly_paid", "paid", "cancelled"]
    deal: Ref
    client: Ref
    issue_date: Date | None
    due_date: Date
    currency: str
    subtotal: str
    vat_amount: str
    total: str
    paid: str
    outstanding: str
    overpaid: str
    replaces: int | None
    lines: list[LineOut]
    plan: list[PlanRowOut]
    payments: list[PaymentOut]


class InvoiceList(Schema):
    items: list[InvoiceOut]
    next: str | None = None
    plan_fact: list[dict[str, Any]]


def invoice_out(invoice) -> dict[str, Any]:
    rows, _over = invoice_facts(invoice)
    return {
        "id": invoice.pk, "number": invoice.number, "year": invoice.year, "display_number": invoice.display_number,
        "status": invoice.status, "deal": {"id": invoice.deal_id, "name": invoice.deal.title},
        "client": {"id": invoice.client_id, "name": invoice.client.name}, "issue_date": invoice.issue_date,
        "due_date": invoice.due_date, "currency": invoice.currency, "subtotal": str(invoice.subtotal),
        "vat_amount": str(invoice.vat_amount), "total": str(invoice.total), "paid": str(invoice.paid_amount),
        "outstanding": str(invoice.outstanding), "overpaid": str(invoice.overpaid), "replaces": invoice.replaces_id,
        "lines": [{"position": x.position, "name": x.name, "quantity": str(x.quantity), "unit": x.unit,
                   "price": str(x.price), "amount": str(x.amount), "vat_rate": x.vat_rate,
                   "vat_amount": str(x.vat_amount)} for x in invoice.lines.all()],
        "plan": [{"due_date": r.due_date, "amount": str(r.amount), "paid": str(r.paid),
                  "remaining": str(r.remaining)} for r in rows],
        "payments": [{"id": p.pk, "paid_on": p.paid_on, "amount": str(p.amount), "method": p.method,
                      "reference": p.reference} for p in invoice.payments.all()],
    }


def _fresh(request: HttpRequest, invoice_id: int):
    """The invoice with its deal, client, plan rows and payments (read again after a write)."""
    invoice = get_invoice(actor=request.auth, invoice_id=invoice_id)
    return next(i for i in deal_invoices(deal=invoice.deal) if i.pk == invoice.pk)


@router.get("/deals/{deal_id}/invoices", response={200: InvoiceList, **ERRORS}, summary="A deal's invoices",
            description="Every invoice of the deal, newest first, with plan vs fact per currency.")
def deal_invoices_list(request: HttpRequest, deal_id: Id):
    deal = get_deal(actor=request.auth, deal_id=deal_id)
    invoices = deal_invoices(deal=deal)
    facts = [{k: str(v) if k != "currency" else v for k, v in row.items()} for row in plan_fact(invoices).as_rows()]
    return {"items": [invoice_out(i) for i in invoices], "next": None, "plan_fact": facts}


@router.post("/deals/{deal_id}/invoices", response={201: InvoiceOut, **ERRORS}, summary="Invoice a deal",
             description="Body optional: all lines of the deal (or its amount), issued with the next number. "
                         "`lines` for chosen lines, `share_pct` for a partial invoice, `issue: false` for a draft.")
def deal_invoices_create(request: HttpRequest, deal_id: Id, payload: InvoiceIn | None = None):
    deal = get_deal(actor=request.auth, deal_id=deal_id)
    spec = payload or InvoiceIn()
    invoice = create_invoice(actor=request.auth, deal=deal, line_ids=spec.lines,
                             share_pct=None if spec.share_pct is None else str(spec.share_pct),
                             due_date=spec.due_date, comment=spec.comment, issue=spec.issue)
    return Status(201, invoice_out(_fresh(request, invoice.pk)))


@router.get("/invoices/{invoice_id}", response={200: InvoiceOut, **ERRORS}, summary="Get an invoice")
def invoices_get(request: HttpRequest, invoice_id: Id):
    return invoice_out(_fresh(request, invoice_id))


class PdfQuery(Schema):
    lang: Literal["ru", "en"] = "ru"


@router.get("/invoices/{invoice_id}/pdf", response={200: None, **ERRORS}, summary="An invoice's PDF",
            description="`application/pdf`: «Счёт на оплату» (`lang=ru`) or the English variant (`lang=en`).")
def invoices_pdf(request: HttpRequest, invoice_id: Id, query: Query[PdfQuery]):
    invoice = get_invoice(actor=request.auth, invoice_id=invoice_id)
    response = HttpResponse(render_invoice_pdf(invoice, language=query.lang), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number or "draft"}.pdf"'
    return response


class PlanRowIn(Schema):
    due_date: Date
    amount: Amount


class PlanIn(Schema):
    rows: list[PlanRowIn] | None = Field(None, max_length=60, description="Typed rows (they sum to the total).")
    instalments: int | None = Field(None, ge=1, le=60, description="Or: this many equal parts.")
    first_due: Date | None = None
    every_days: int = Field(30, ge=1, le=366)


@router.put("/invoices/{invoice_id}/plan", response={200: InvoiceOut, **ERRORS}, summary="Set the payment plan",
            description="Replaces the plan: `rows`, or `instalments` equal parts from `first_due` every "
                        "`every_days` days. The rows must sum to the invoice total.")
def invoices_plan(request: HttpRequest, invoice_id: Id, payload: PlanIn):
    invoice = get_invoice(actor=request.auth, invoice_id=invoice_id)
    rows = None if payload.rows is None else [{"due_date": r.due_date, "amount": str(r.amount)} for r in payload.rows]
    set_payment_plan(actor=request.auth, invoice=invoice, rows=rows, instalments=payload.instalments,
                     first_due=payload.first_due, every_days=payload.every_days)
    return invoice_out(_fresh(request, invoice_id))


class PaymentIn(Schema):
    amount: Amount
    paid_on: Date | None = Field(None, description="Default: today.")
    method: Literal["bank", "card", "cash", "other"] = "bank"
    reference: Text = ""


@router.post("/invoices/{invoice_id}/payments", response={201: InvoiceOut, **ERRORS}, summary="Record a payment",
             description="Allocated to the plan rows oldest first; more than the rest is kept as an overpayment.")
def invoices_payment(request: HttpRequest, invoice_id: Id, payload: PaymentIn):
    invoice = get_invoice(actor=request.auth, invoice_id=invoice_id)
    record_payment(actor=request.auth, invoice=invoice, amount=str(payload.amount), paid_on=payload.paid_on,
                   method=payload.method, reference=payload.reference)
    return Status(201, invoice_out(_fresh(request, invoice_id)))


class SendIn(Schema):
    to: Text = Field("", description="Default: the deal's contact (or the client's primary contact).")
    lang: Literal["ru", "en"] = "ru"
    note: LongText = ""


@router.post("/invoices/{invoice_id}/send", response={200: InvoiceOut, **ERRORS}, summary="Email an invoice",
             description="The PDF to the client's contact; the send goes on the deal's timeline.")
def invoices_send(request: HttpRequest, invoice_id: Id, payload: SendIn):
    invoice = get_invoice(actor=request.auth, invoice_id=invoice_id)
    send_invoice(actor=request.auth, invoice=invoice, to=payload.to, language=payload.lang)
    return invoice_out(_fresh(request, invoice_id))


class ReceivableOut(Schema):
    invoice: int
    display_number: str
    deal: int
    client: str
    due_date: dt.date
    days_overdue: int
    bucket: str
    remaining: str
    currency: str


class ReceivablesOut(Schema):
    items: list[ReceivableOut]
    next: str | None = None
    totals: dict[str, dict[str, str]]


@router.get("/receivables", response={200: ReceivablesOut, **ERRORS}, summary="Receivables with ageing",
            description="Unpaid parts of the issued invoices in your scope, with their bucket: `not_due`, "
                        "`d1_30`, `d31_60`, `d61_90`, `d90_plus`; totals per currency and bucket.")
def receivables_list(request: HttpRequest):
    rows, totals = receivables(actor=request.auth)
    return {"items": [{"invoice": r.invoice.pk, "display_number": r.invoice.display_number,
                       "deal": r.invoice.deal_id, "client": r.invoice.client.name, "due_date": r.due_date,
                       "days_overdue": r.days_overdue, "bucket": r.bucket, "remaining": str(r.remaining),
                       "currency": r.invoice.currency} for r in rows],
            "next": None, "totals": {c: {k: str(v) for k, v in per.items()} for c, per in totals.items()}}


class ShipmentIn(Schema):
    number: Text
    shipped_on: Date | None = None
    status: Literal["planned", "shipped", "delivered"] = "planned"
    lines: dict[str, Amount] | None = Field(None, description="Product id → quantity; default: all left to ship.")
    comment: Text = ""


class ShipmentLineOut(Schema):
    product: int
    name: str
    quantity: str


class ShipmentOut(Schema):
    id: int
    deal: int
    number: str
    shipped_on: Date
    status: Literal["planned", "shipped", "delivered", "returned"]
    lines: list[ShipmentLineOut]


class StatusIn(Schema):
    status: Literal["shipped", "delivered", "returned"]


def shipment_out(s) -> dict[str, Any]:
    return {"id": s.pk, "deal": s.deal_id, "number": s.number, "shipped_on": s.shipped_on, "status": s.status,
            "lines": [{"product": x.product_id, "name": x.name, "quantity": str(x.quantity)} for x in s.lines.all()]}


@router.post("/deals/{deal_id}/shipments", response={201: ShipmentOut, **ERRORS}, summary="Record a shipment",
             description="Never more of a product than is left to ship.")
def deal_shipments_create(request: HttpRequest, deal_id: Id, payload: ShipmentIn):
    deal = get_deal(actor=request.auth, deal_id=deal_id)
    lines = None if payload.lines is None else {k: str(v) for k, v in payload.lines.items()}
    shipment = create_shipment(actor=request.auth, deal=deal, number=payload.number, shipped_on=payload.shipped_on,
                               status=payload.status, lines=lines, comment=payload.comment)
    return Status(201, shipment_out(shipment))


@router.get("/shipments/{shipment_id}", response={200: ShipmentOut, **ERRORS}, summary="Get a shipment")
def shipments_get(request: HttpRequest, shipment_id: Id):
    return shipment_out(get_shipment(actor=request.auth, shipment_id=shipment_id))


@router.post("/shipments/{shipment_id}/status", response={200: ShipmentOut, **ERRORS},
             summary="Change a shipment's status", description="planned → shipped → delivered; → returned.")
def shipments_status(request: HttpRequest, shipment_id: Id, payload: StatusIn):
    shipment = set_shipment_status(actor=request.auth, shipment=get_shipment(actor=request.auth,
                                                                             shipment_id=shipment_id),
                                   status=payload.status)
    return shipment_out(shipment)


@router.get("/shipments/{shipment_id}/pdf", response={200: None, **ERRORS}, summary="A shipment's waybill PDF")
def shipments_pdf(request: HttpRequest, shipment_id: Id, query: Query[PdfQuery]):
    shipment = get_shipment(actor=request.auth, shipment_id=shipment_id)
    response = HttpResponse(render_shipment_pdf(shipment, language=query.lang), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="waybill-{shipment.pk}.pdf"'
    return response


class ActIn(Schema):
    """What the act covers; without a body: all that is left to deliver of the deal's products, issued at once."""

    lines: dict[str, Amount] | None = Field(None, description="Product id → quantity; default: all left to deliver.")
    act_date: Date | None = Field(None, description="Default: today.")
    comment: Text = ""
    issue: bool = Field(True, description="false: a draft without a number.")


class ActLineOut(Schema):
    position: int
    product: int | None
    name: str
    quantity: str
    unit: str
    price: str
    amount: str
    vat_rate: str
    vat_amount: str


class ActOut(Schema):
    id: int
    number: int | None
    year: int | None
    display_number: str
    status: Literal["draft", "issued", "signed", "cancelled"]
    deal: int
    client: Ref
    act_date: Date
    currency: str
    subtotal: str
    vat_amount: str
    total: str
    lines: list[ActLineOut]


class ActList(Schema):
    items: list[ActOut]
    next: str | None = None


def act_out(act) -> dict[str, Any]:
    return {"id": act.pk, "number": act.number, "year": act.year, "display_number": act.display_number,
            "status": act.status, "deal": act.deal_id, "client": {"id": act.client_id, "name": act.client.name},
            "act_date": act.act_date, "currency": act.currency, "subtotal": str(act.subtotal),
            "vat_amount": str(act.vat_amount), "total": str(act.total),
            "lines": [{"position": x.position, "product": x.product_id, "name": x.name, "quantity": str(x.quantity),
                       "unit": x.unit, "price": str(x.price), "amount": str(x.amount), "vat_rate": x.vat_rate,
                       "vat_amount": str(x.vat_amount)} for x in act.lines.all()]}


@router.post("/deals/{deal_id}/acts", response={201: ActOut, **ERRORS}, summary="Create a service act",
             description="Numbered per year without gaps when issued; never more of a product than is left to "
                         "deliver (ordered − shipped − in acts not cancelled).")
def deal_acts_create(request: HttpRequest, deal_id: Id, payload: ActIn | None = None):
    payload = payload or ActIn()
    deal = get_deal(actor=request.auth, deal_id=deal_id)
    lines = None if payload.lines is None else {k: str(v) for k, v in payload.lines.items()}
    act = create_act(actor=request.auth, deal=deal, lines=lines, act_date=payload.act_date,
                     comment=payload.comment, issue=payload.issue)
    return Status(201, act_out(get_act(actor=request.auth, act_id=act.pk)))


@router.get("/deals/{deal_id}/acts", response={200: ActList, **ERRORS}, summary="A deal's service acts")
def deal_acts_list(request: HttpRequest, deal_id: Id):
    deal = get_deal(actor=request.auth, deal_id=deal_id)
    return {"items": [act_out(a) for a in deal_acts(deal=deal)], "next": None}


@router.get("/acts/{act_id}", response={200: ActOut, **ERRORS}, summary="Get a service act")
def acts_get(request: HttpRequest, act_id: Id):
    return act_out(get_act(actor=request.auth, act_id=act_id))


class ActStatusIn(Schema):
    status: Literal["issued", "signed", "cancelled"]


@router.post("/acts/{act_id}/status", response={200: ActOut, **ERRORS}, summary="Change a service act's status",
             description="draft → issued (numbered) → signed; a draft or an issued act → cancelled (keeps its "
                         "number).")
def acts_status(request: HttpRequest, act_id: Id, payload: ActStatusIn):
    act = get_act(actor=request.auth, act_id=act_id)
    move = {"issued": issue_act, "signed": sign_act, "cancelled": cancel_act}[payload.status]
    move(actor=request.auth, act=act)
    return act_out(get_act(actor=request.auth, act_id=act_id))


@router.get("/acts/{act_id}/pdf", response={200: None, **ERRORS}, summary="A service act's PDF")
def acts_pdf(request: HttpRequest, act_id: Id, query: Query[PdfQuery]):
    act = get_act(actor=request.auth, act_id=act_id)
    response = HttpResponse(render_act_pdf(act, language=query.lang), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="act-{act.number}-{act.year}.pdf"'
    return response
