"""Client reports over won deals: churn, repeat purchases, lifetime value (DESIGN.md §5).

Clients are counted from the won deals the actor may see and are sliced by the client's own attributes
(region, industry, target audience). Amounts are in the base currency only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Case, F, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from voronka.deals.models import DealStatus

from ..engine import Column, Report, Run, register, sort_key
from ..sql import Agg, as_int, as_money, ratio

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
                    "period).")
    slices = CLIENT_SLICES
    chart_value = "repeat_rate"
    columns = (Column("buyers", _("clients with a purchase")), Column("repeat_buyers", _("with a repeat")),
               Column("repeat_rate", _("repeat rate"), "fraction"))

    def rows(self, run: Run) -> list[dict[str, Any]]:
        qs = _won(run).filter(run.period_q("closed_at"))
        rows = _rows(run, qs, inputs={"n": Value(1, output_field=IntegerField())},
                     aggs=[Agg("buyers", "count"), Agg("repeat_buyers", "count_if", where='"k_n" >= 2')])
        out = [{**r, "buyers": as_int(r["buyers"]), "repeat_buyers": as_int(r["repeat_buyers"]),
                "repeat_rate": ratio(as_int(r["repeat_buyers"]), as_int(r["buyers"]))} for r in rows]
        return sorted(out, key=lambda r: sort_key(r, run.params.by))


@register
class LifetimeValue(Report):
    name = "ltv"
    title = _("Lifetime value")
    description = _("Revenue of won deals per client over its lifetime (base currency): mean and median over "
                    "the clients with a won deal.")
    period = False
    date_field = None
    slices = CLIENT_SLICES
    chart_value = "mean_ltv"
    columns = (Column("clients", _("clients")), Column("revenue", _("revenue"), "money"),
               Column("mean_ltv", _("mean LTV"), "money"), Column("median_ltv", _("median LTV"), "money"))

    def rows(self, run: Run) -> list[dict[str, Any]]:
        qs = _won(run).filter(currency=settings.VORONKA_DEFAULT_CURRENCY)
        rows = _rows(run, qs, inputs={"amt": F("amount")},
                     aggs=[Agg("clients", "count"), Agg("revenue", "sum", "amt"), Agg("median", "median", "amt")])
        out = []
        for r in rows:
            clients, revenue = as_int(r.pop("clients")), as_money(r.pop("revenue"))
            median = r.pop("median")
            out.append({**r, "clients": clients, "revenue": revenue,
                        "mean_ltv": as_money(revenue / clients) if clients else None,
                        "median_ltv": None if median is None else as_money(median)})
        return sorted(out, key=lambda r: sort_key(r, run.params.by))

