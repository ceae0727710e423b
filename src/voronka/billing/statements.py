"""Payments from a CSV bank statement: each row (date, amount, payer INN, purpose, reference) is matched to an
open invoice in the actor's scope, by the invoice number in the purpose text (``счёт № 12/2026``, ``сч. 12``;
the year defaults to the payment's), else by the payer's INN (the client's oldest open invoice).

``read_statement`` only reads and matches (the dry run); ``import_statement`` records every matched row in one
transaction through ``record_payment``: all or nothing. A row already recorded (same invoice, date, amount and
reference) is skipped, so importing the same statement twice records nothing new. Unmatched rows are reported
and never recorded; a row with a bad date or amount blocks the import. The file itself is read by the caller
(``voronka.imports.readers`` detects the encoding and the delimiter); this module gets the header and the rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.clients.normalize import normalize_inn
from voronka.core.dates import parse_day
from voronka.core.errors import DomainError
from voronka.core.money import parse_money

from .models import OPEN_STATUSES, Invoice, Payment, PaymentMethod
from .selectors import visible_invoices
from .services import record_payment

MAX_ROWS = 5000
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "дата", "дата платежа", "дата операции"),
    "amount": ("amount", "сумма", "сумма платежа", "поступление", "кредит"),
    "inn": ("inn", "payer inn", "инн", "инн плательщика"),
    "purpose": ("purpose", "назначение", "назначение платежа", "invoice", "счёт", "счет"),
    "reference": ("reference", "номер документа", "номер", "документ", "№"),
}
_INVOICE_NO = re.compile(r"(?:сч[её]т[ау]?|сч\.?|invoice|inv\.?)\s*(?:на\s+оплату\s*)?(?:№|n|#|no\.?)?\s*"
                         r"(\d{1,9})(?:\s*/\s*(\d{4}))?", re.IGNORECASE)


class StatementError(DomainError):
    default_code = "bad_statement"


@dataclass
class StatementRow:
    row: int
    paid_on: dt.date | None = None
    amount: Decimal | None = None
    inn: str = ""
    purpose: str = ""
    reference: str = ""
    invoice: Invoice | None = None
    matched_by: str = ""  # "number" | "inn"
    error: str = ""
    duplicate: bool = False


@dataclass
class Statement:
    rows: list[StatementRow] = field(default_factory=list)

    @property
    def matched(self) -> list[StatementRow]:
        return [r for r in self.rows if r.invoice is not None and not r.error and not r.duplicate]

    @property
    def unmatched(self) -> list[StatementRow]:
        return [r for r in self.rows if r.invoice is None and not r.error]

    @property
    def errors(self) -> list[StatementRow]:
        return [r for r in self.rows if r.error]

    @property
    def duplicates(self) -> list[StatementRow]:
        return [r for r in self.rows if r.duplicate]


def _columns(header: list[str]) -> dict[str, int]:
    names = [str(h or "").strip().lower().replace("ё", "е") for h in header]
    found: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            alias = alias.replace("ё", "е")
            if alias in names and key not in found and names.index(alias) not in found.values():
                found[key] = names.index(alias)
                break
    missing = [k for k in ("date", "amount") if k not in found]
    if missing or ("inn" not in found and "purpose" not in found):
        raise StatementError(_("The statement needs the columns date, amount and the payer's INN or the purpose "
                               "(invoice number); found: %(cols)s.") % {"cols": ", ".join(header) or "—"},
                             field="file")
    return found


def _inn(text: str) -> str:
    """The payer's INN normalised; one that is not an INN matches nothing (the row may match by number)."""
    try:
        return normalize_inn(text)
    except DomainError:
        return ""


def _cell(values: list[Any], index: int | None) -> str:
    return "" if index is None or index >= len(values) else str(values[index] or "").strip()


def read_statement(*, actor: User, header: list[str], rows: Iterable[tuple[int, list[Any]]]) -> Statement:
    """The dry run: every row parsed and matched against the actor's open invoices; nothing is written."""
    cols = _columns(header)
    parsed: list[StatementRow] = []
    for number, values in rows:
        if len(parsed) >= MAX_ROWS:
            raise StatementError(_("At most %(n)s rows in one statement.") % {"n": MAX_ROWS}, field="file")
        row = StatementRow(row=number, inn=_inn(_cell(values, cols.get("inn"))),
                           purpose=_cell(values, cols.get("purpose"))[:1000],
                           reference=_cell(values, cols.get("reference"))[:255])
        try:
            row.paid_on = parse_day(_cell(values, cols["date"]))
        except ValueError:
            row.error = _("The date is not a date: %(v)s.") % {"v": _cell(values, cols["date"])[:40]}
        try:
            row.amount = parse_money(_cell(values, cols["amount"]), field="amount")
            if row.amount <= 0:
                row.error = row.error or _("The amount must be above 0.")
        except DomainError:
            row.error = row.error or _("The amount is not a number: %(v)s.") % {"v": _cell(values, cols["amount"])[:40]}
        parsed.append(row)
    _match(actor, parsed)
    return Statement(rows=parsed)


def _match(actor: User, rows: list[StatementRow]) -> None:
    """Two queries for the candidates (by number, by INN) and one for the duplicates, whatever the rows."""
    wanted: dict[int, tuple[int, int]] = {}
    for row in rows:
        if row.error:
            continue
        m = _INVOICE_NO.search(row.purpose)
        if m:
            wanted[id(row)] = (int(m[1]), int(m[2]) if m[2] else row.paid_on.year)
    open_invoices = visible_invoices(actor=actor).filter(status__in=OPEN_STATUSES).select_related("client")
    by_number: dict[tuple[int, int], Invoice] = {}
    if wanted:
        numbers = {n for n, _y in wanted.values()}
        for inv in open_invoices.filter(number__in=numbers):
            by_number[(inv.number, inv.year)] = inv
    inns = {r.inn for r in rows if r.inn and not r.error}
    by_inn: dict[str, Invoice] = {}
    if inns:
        for inv in open_invoices.filter(client__inn__in=inns).order_by("due_date", "pk"):
            by_inn.setdefault(inv.client.inn, inv)
    for row in rows:
        if row.error:
            continue
        key = wanted.get(id(row))
        if key is not None and key in by_number:
            row.invoice, row.matched_by = by_number[key], "number"
        elif row.inn in by_inn:
            row.invoice, row.matched_by = by_inn[row.inn], "inn"
    matched = [r for r in rows if r.invoice is not None]
    if matched:
        seen = set(Payment.objects.filter(invoice__in={r.invoice.pk for r in matched})
                   .values_list("invoice_id", "paid_on", "amount", "reference"))
        for row in matched:
            row.duplicate = (row.invoice.pk, row.paid_on, row.amount, row.reference) in seen


@transaction.atomic
def import_statement(*, actor: User, header: list[str], rows: Iterable[tuple[int, list[Any]]]) -> Statement:
    """Record every matched row as a payment, all or nothing; a row with an error refuses the whole file."""
    statement = read_statement(actor=actor, header=header, rows=rows)
    if statement.errors:
        first = statement.errors[0]
        raise StatementError(_("Row %(row)s: %(error)s Nothing was imported.") % {"row": first.row,
                                                                                 "error": first.error},
                             field="file")
    for row in statement.matched:
        try:
            record_payment(actor=actor, invoice=row.invoice, amount=row.amount, paid_on=row.paid_on,
                           method=PaymentMethod.BANK, reference=row.reference)
        except DomainError as exc:
            raise StatementError(_("Row %(row)s: %(error)s Nothing was imported.") % {
                "row": row.row, "error": exc.message}, field="file") from exc
    return statement
