"""Revenue by cash (``revenue=cash``): the payments received, shared by every report that offers it.

A payment (``billing.Payment``) counts on its ``paid_on`` date (a local date), on an invoice of a deal the
reader sees (report scope, pipeline, slice filters), and is attributed to the slices of the invoice's deal
(its manager, recorded team, product, client, campaign, ...). Amounts are per invoice currency.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from voronka.billing.models import Payment

from . import slices as sl
from .engine import Run

# How a payment reaches the deal's slices.
PAYMENTS = sl.Base(prefix="invoice__deal__")
_UNSET: Any = object()


def cash_groups(run: Run) -> dict[str, Any]:
    """The chosen slices over payments: the deal's slices, a period slice on the payment date (a date)."""
    groups: dict[str, Any] = {}
    for i, key in enumerate(run.params.by):
        slice_ = sl.SLICES[key]
        groups[f"g{i}"] = (sl.TRUNCS[key]("paid_on") if slice_.is_time
                           else sl.value_expr(slice_, date_field=None, base=PAYMENTS))
        for j, expr in enumerate(sl.label_exprs(slice_, base=PAYMENTS)):
            groups[f"g{i}_l{j}"] = expr
    return groups


def cash_payments(run: Run, *, first: dt.date | None = _UNSET, last: dt.date | None = _UNSET,
                  base_only: bool = False) -> QuerySet[Payment]:
    """The payments received from ``first`` to ``last`` (inclusive; the report's period unless given, None:
    unbounded) on the deals the reader sees; ``base_only``: on invoices in the base currency only."""
    first = run.params.date_from if first is _UNSET else first
    last = run.params.date_to if last is _UNSET else last
    qs = Payment.objects.using(run.alias).filter(invoice__deal__in=run.deals().values("pk"))
    if first:
        qs = qs.filter(paid_on__gte=first)
    if last:
        qs = qs.filter(paid_on__lte=last)
    if base_only:
        qs = qs.filter(invoice__currency=settings.VORONKA_DEFAULT_CURRENCY)
    return qs
