"""Dips: week-over-week (or month-over-month) drops per manager or team beyond a threshold.

Metrics: new deals (created), won deals and won revenue (base currency). Each pair of consecutive periods
covering the chosen period (widened to whole weeks or months) is compared; a drop of at least ``VORONKA_DIP_THRESHOLD_PCT`` percent (default 30)
from a non-zero previous value is a dip. The periods are counted from one grouped query per metric source.
By cash (``revenue=cash``) the revenue metric is ``cash_received``: the payments received in each period (by
payment date, base-currency invoices), attributed to the deal's manager or recorded team.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db.models import Case, DecimalField, F, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.deals.models import DealStatus

from .. import slices as sl
from ..cash import PAYMENTS, cash_payments
from ..engine import Column, Report, Run, deal_drill, deal_url, register, sort_key
from ..sql import Agg, as_int, as_money

METRICS = ("new_deals", "won_deals", "won_revenue")
CASH_METRICS = ("new_deals", "won_deals", "cash_received")
MONEY = ("won_revenue", "cash_received")


def threshold_pct() -> float:
    return float(getattr(settings, "VORONKA_DIP_THRESHOLD_PCT", 30))


def _next(start: dt.date, kind: str) -> dt.date:
    return start + dt.timedelta(days=7) if kind == "week" else (start + dt.timedelta(days=32)).replace(day=1)


def _starts(first: dt.date, last: dt.date, kind: str) -> list[dt.date]:
    """Every period start from the one holding ``first`` to the one holding ``last``."""
    day = first - dt.timedelta(days=first.weekday()) if kind == "week" else first.replace(day=1)
    out = []
    while day <= last:
        out.append(day)
        day = _next(day, kind)
    return out


@register
class Dips(Report):
    name = "dips"
    title = _("Dips")
    description = _("Drops of new deals, won deals or won revenue from one week (or month) to the next, per "
                    "manager, beyond the threshold (VORONKA_DIP_THRESHOLD_PCT, default 30 %); by cash: of the "
                    "payments received instead of won revenue.")
    revenue_bases = ("won", "cash")
    period_required = True
    modes = ("week", "month")
    slices = sl.PEOPLE_SLICES
    default_by = ("manager",)
    chart_value = "change_pct"
    columns = (Column("period", _("period"), "date"), Column("metric", _("metric"), "str"),
               Column("previous", _("previous period"), "float"), Column("current", _("this period"), "float"),
               Column("change_pct", _("change, %"), "pct"))

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        """``previous``/``current``: the deals created (new deals), won (won deals, revenue) or paid for
        (cash received) in that period."""
        kind = params.mode or self.modes[0]
        current = row["period"]
        previous = current - dt.timedelta(days=7) if kind == "week" else (current - dt.timedelta(days=1)).replace(day=1)
        base = {k: v for k, v in deal_drill(params, row, date=None).items()}
        date, more = {"new_deals": ("created", {}),
                      "cash_received": ("paid", {"currency": settings.VORONKA_DEFAULT_CURRENCY})}.get(
            row["metric"], ("closed", {"status": DealStatus.WON}))
        links = {}
        for key, start in (("previous", previous), ("current", current)):
            end = _next(start, kind) - dt.timedelta(days=1)
            links[key] = deal_url(base, **more, **{f"{date}_from": start.isoformat(), f"{date}_to": end.isoformat()})
        return links

    def rows(self, run: Run) -> list[dict[str, Any]]:
        kind = run.params.mode
        trunc = sl.SLICES[kind]
        by = [sl.SLICES[k] for k in run.params.by]
        keys = [k for s in by for k in s.output_keys()]
        base = settings.VORONKA_DEFAULT_CURRENCY
        starts = _starts(run.params.date_from, run.params.date_to, kind)
        tz = timezone.get_current_timezone()
        since = dt.datetime.combine(starts[0], dt.time.min, tzinfo=tz)
        until = dt.datetime.combine(_next(starts[-1], kind), dt.time.min, tzinfo=tz)
        created = run.deals().filter(created_at__gte=since, created_at__lt=until)
        won = run.deals().filter(closed_at__gte=since, closed_at__lt=until, status=DealStatus.WON)
        cash = run.params.revenue == "cash"
        metrics_ = CASH_METRICS if cash else METRICS
        series: dict[tuple, dict[str, dict[dt.date, Any]]] = {}

        def collect(qs, date_field: str, aggs: list[Agg], inputs: dict[str, Any], start=None, base=sl.DEAL_BASE):
            for r in run.grouped(qs, inputs=inputs, aggs=aggs, base=base,
                                 extra={"start": start or sl.value_expr(trunc, date_field=date_field)}):
                cell = series.setdefault(tuple(r[k] for k in keys), {m: {} for m in metrics_})
                start = sl.period_start(r["start"])
                for agg in aggs:
                    cell[agg.key][start] = r[agg.key]

        collect(created, "created_at", [Agg("new_deals", "count")], {})
        if cash:
            collect(won, "closed_at", [Agg("won_deals", "count")], {})
            paid = cash_payments(run, first=starts[0], last=_next(starts[-1], kind) - dt.timedelta(days=1),
                                 base_only=True)
            collect(paid, "paid_on", [Agg("cash_received", "sum", "amt")], {"amt": F("amount")},
                    start=sl.TRUNCS[kind]("paid_on"), base=PAYMENTS)
        else:
            collect(won, "closed_at", [Agg("won_deals", "count"), Agg("won_revenue", "sum", "base_amt")],
                    {"base_amt": Case(When(currency=base, then=F("amount")), default=None,
                                      output_field=DecimalField())})
        limit = threshold_pct()
        out = []
        for group, metrics in series.items():
            for metric in metrics_:
                values = metrics[metric]
                for previous_start, current_start in pairwise(starts):
                    before = self._value(metric, values.get(previous_start))
                    now = self._value(metric, values.get(current_start))
                    if before <= 0:
                        continue
                    change = round((float(now) - float(before)) * 100.0 / float(before), 2)
                    if change <= -limit:
                        out.append({**dict(zip(keys, group, strict=True)), "period": current_start, "metric": metric,
                                    "previous": float(before), "current": float(now), "change_pct": change})
        return sorted(out, key=lambda r: (sort_key(r, run.params.by), r["period"], metrics_.index(r["metric"])))

    @staticmethod
    def _value(metric: str, raw: Any):
        return as_money(raw) if metric in MONEY else as_int(raw)
