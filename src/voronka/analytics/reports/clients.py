"""Client reports over won deals: churn, repeat purchases, lifetime value (DESIGN.md §5).

Clients are counted from the won deals the actor may see and are sliced by the client's own attributes
(region, industry, target audience). Amounts are in the base currency only. ``ltv`` can count by cash
(``revenue=cash``): the payments received from the client (base-currency invoices of the deals the actor sees).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Case, F, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from voronka.deals.models import DealStatus

from .. import slices as sl
from ..cash import PAYMENTS, cash_payments
from ..engine import Column, Report, Run, register, sort_key
from ..sql import Agg, as_int, as_money, days, inner_sql, outer_aggregate, ratio, seconds_sql

CLIENT_SLICES = ("region", "industry", "target_audience")


def _flag(**condition: Any) -> Case:
    return Case(When(then=Value(1), **condition), default=Value(0), output_field=IntegerField())


def _won(run: Run):
    return run.deals().filter(status=DealStatus.WON)


def _rows(run: Run, qs, *, inputs: dict[str, Any], aggs: list[Agg]) -> list[dict[str, Any]]:
    """Inputs summed per client first, then aggregated over the clients of each slice group."""
    return run.grouped(qs, inputs=inputs, aggs=aggs, per={"client": F("client_id")})


@register
class Churn(Report):
    name = "churn"
    title = _("Churn")
    description = _("Clients with a won deal in the previous period of equal length and none in this "
                    "period, over the clients with a won deal in the previous period.")
    period_required = True
    slices = CLIENT_SLICES
    chart_value = "churn_rate"
    columns = (Column("previous_clients", _("clients in the previous period")),
               Column("churned", _("churned")), Column("churn_rate", _("churn rate"), "fraction"))

    def rows(self, run: Run) -> list[dict[str, Any]]:
        start, end = run.period()
        previous = start - (end - start)
        qs = _won(run).filter(closed_at__gte=previous, closed_at__lt=end)
        rows = _rows(run, qs, inputs={"prev": _flag(closed_at__lt=start), "cur": _flag(closed_at__gte=start)},
                     aggs=[Agg("previous_clients", "count_if", where='"k_prev" > 0'),
                           Agg("churned", "count_if", where='"k_prev" > 0 AND "k_cur" = 0')])
        out = []
        for r in rows:
            base, churned = as_int(r.pop("previous_clients")), as_int(r.pop("churned"))
            if base:
                out.append({**r, "previous_clients": base, "churned": churned, "churn_rate": ratio(churned, base)})
        return sorted(out, key=lambda r: sort_key(r, run.params.by))


@register
class Repeat(Report):
    name = "repeat"
    title = _("Repeat purchases")
    description = _("Clients with two or more won deals over clients with at least one (deals won in the "
                    "period), and the days from a client's first to his second won deal.")
    slices = CLIENT_SLICES
    chart_value = "repeat_rate"
    columns = (Column("buyers", _("clients with a purchase")), Column("repeat_buyers", _("with a repeat")),
               Column("repeat_rate", _("repeat rate"), "fraction"),
               Column("mean_days_to_second", _("to the second purchase, mean days"), "days"),
               Column("median_days_to_second", _("to the second purchase, median days"), "days"))

    def rows(self, run: Run) -> list[dict[str, Any]]:
        qs = _won(run).filter(run.period_q("closed_at"))
        rows = _rows(run, qs, inputs={"n": Value(1, output_field=IntegerField())},
                     aggs=[Agg("buyers", "count"), Agg("repeat_buyers", "count_if", where='"k_n" >= 2')])
        keys = [k for key in run.params.by for k in sl.SLICES[key].output_keys()]
        gaps = {tuple(r[k] for k in keys): r for r in self._second_purchase(run, qs)}
        out = []
        for r in rows:
            gap = gaps.get(tuple(r[k] for k in keys), {})
            out.append({**r, "buyers": as_int(r["buyers"]), "repeat_buyers": as_int(r["repeat_buyers"]),
                        "repeat_rate": ratio(as_int(r["repeat_buyers"]), as_int(r["buyers"])),
                        "mean_days_to_second": days(gap.get("mean")),
                        "median_days_to_second": days(gap.get("median"))})
        return sorted(out, key=lambda r: sort_key(r, run.params.by))

    @staticmethod
    def _second_purchase(run: Run, qs) -> list[dict[str, Any]]:
        """Per slice group: mean and median whole seconds from each repeat buyer's first to second won deal
        (in closing order, ties by id), among the deals of ``qs``; one statement with window functions."""
        groups = run.group_exprs()
        sql, params = inner_sql(qs, groups={**groups, "client": F("client_id")},
                                inputs={"t": F("closed_at"), "id": F("pk")})
        window = 'PARTITION BY base."k_client" ORDER BY base."k_t", base."k_id"'
        ranked = (f'SELECT base.*, ROW_NUMBER() OVER ({window}) AS "_n", LAG(base."k_t") OVER ({window}) AS "_prev" '
                  f"FROM ({sql}) base")
        cols = "".join(f'r."k_{g}", ' for g in groups)
        gap = seconds_sql(connections[run.alias].vendor, 'r."_prev"', 'r."k_t"')
        second = f'SELECT {cols}{gap} AS "k_gap" FROM ({ranked}) r WHERE r."_n" = 2'
        raw = outer_aggregate(run.alias, second, params, groups=list(groups),
                              aggs=[Agg("clients", "count"), Agg("mean", "avg", "gap"),
                                    Agg("median", "median", "gap")])
        return [{**run.slice_cells(r), "mean": r["mean"], "median": r["median"]} for r in raw]


@register
class LifetimeValue(Report):
    name = "ltv"
    title = _("Lifetime value")
    description = _("Revenue of won deals per client over its lifetime (base currency): mean and median over "
                    "the clients with a won deal (by cash: the payments received from the client, over the "
                    "clients who paid).")
    period = False
    date_field = None
    slices = CLIENT_SLICES
    chart_value = "mean_ltv"
    columns = (Column("clients", _("clients")), Column("revenue", _("revenue"), "money"),
               Column("mean_ltv", _("mean LTV"), "money"), Column("median_ltv", _("median LTV"), "money"))

    revenue_bases = ("won", "cash")

    def output_columns(self, run: Run) -> list[Column]:
        if run.params.revenue != "cash":
            return super().output_columns(run)
        cash = {"clients": _("clients who paid"), "revenue": _("cash received")}
        return [*run.slice_columns(),
                *(dataclasses.replace(c, label=cash.get(c.key, c.label)) for c in self.columns)]

    def rows(self, run: Run) -> list[dict[str, Any]]:
        aggs = [Agg("clients", "count"), Agg("revenue", "sum", "amt"), Agg("median", "median", "amt")]
        if run.params.revenue == "cash":  # every payment ever received from the client (no period)
            rows = run.grouped(cash_payments(run, base_only=True), inputs={"amt": F("amount")}, aggs=aggs,
                               base=PAYMENTS, per={"client": F("invoice__deal__client_id")})
        else:
            rows = _rows(run, _won(run).filter(currency=settings.VORONKA_DEFAULT_CURRENCY),
                         inputs={"amt": F("amount")}, aggs=aggs)
        out = []
        for r in rows:
            clients, revenue = as_int(r.pop("clients")), as_money(r.pop("revenue"))
            median = r.pop("median")
            out.append({**r, "clients": clients, "revenue": revenue,
                        "mean_ltv": as_money(revenue / clients) if clients else None,
                        "median_ltv": None if median is None else as_money(median)})
        return sorted(out, key=lambda r: sort_key(r, run.params.by))

