"""Reports over closed deals (closed in the period): win rate, cycle, average check, revenue, lost reasons.

Revenue and average check count by won deals (``revenue=won``, the default: the amounts of the deals won in
the period) or by cash (``revenue=cash``: the payments received in the period, by payment date, per invoice
currency, attributed to the slices of the invoice's deal; ``deals`` then counts the deals paid for).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.db.models import Case, F, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from voronka.deals.models import DealStatus

from ..cash import cash_groups, cash_payments
from ..engine import Column, Report, Run, deal_drill, deal_url, register, sort_key
from ..sql import Agg, Seconds, aggregate, as_int, as_money, days, ratio


def _flag(**condition: Any) -> Case:
    return Case(When(then=Value(1), **condition), default=Value(0), output_field=IntegerField())


def closed_deals(run: Run, *statuses: str):
    return run.deals().filter(run.period_q("closed_at"), status__in=statuses or (DealStatus.WON, DealStatus.LOST))


def _sorted(run: Run, rows: list[dict[str, Any]], *extra: str) -> list[dict[str, Any]]:
    keys = [*run.params.by, *extra]
    return sorted(rows, key=lambda r: sort_key(r, keys))


def _currency_key(row: dict[str, Any]) -> tuple:
    return (row["currency"] != settings.VORONKA_DEFAULT_CURRENCY, row["currency"])


@register
class WinRate(Report):
    name = "win-rate"
    title = _("Win rate")
    description = _("Won / (won + lost) among the deals closed in the period.")
    default_by = ("manager",)
    chart_value = "win_rate"
    columns = (Column("won", _("won")), Column("lost", _("lost")), Column("closed", _("closed")),
               Column("win_rate", _("win rate"), "fraction"))

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        base = deal_drill(params, row, date="closed")
        return {"won": deal_url(base, status=DealStatus.WON), "lost": deal_url(base, status=DealStatus.LOST),
                "closed": deal_url(base, status="closed")}

    def rows(self, run: Run) -> list[dict[str, Any]]:
        rows = run.grouped(closed_deals(run), inputs={"is_won": _flag(status=DealStatus.WON),
                                                      "is_lost": _flag(status=DealStatus.LOST)},
                           aggs=[Agg("closed", "count"), Agg("won", "sum", "is_won"), Agg("lost", "sum", "is_lost")])
        out = []
        for r in rows:
            won, lost = as_int(r.pop("won")), as_int(r.pop("lost"))
            r.pop("closed")
            out.append({**r, "won": won, "lost": lost, "closed": won + lost, "win_rate": ratio(won, won + lost)})
        return _sorted(run, out)


@register
class Cycle(Report):
    name = "cycle"
    title = _("Sales cycle")
    description = _("Days from creation to won, for the deals won in the period: mean and median.")
    chart_value = "mean_days"
    columns = (Column("deals", _("won deals")), Column("mean_days", _("mean, days"), "days"),
               Column("median_days", _("median, days"), "days"))

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        return {"deals": deal_url(deal_drill(params, row, date="closed"), status=DealStatus.WON)}

    def rows(self, run: Run) -> list[dict[str, Any]]:
        rows = run.grouped(closed_deals(run, DealStatus.WON), inputs={"secs": Seconds("created_at", "closed_at")},
                           aggs=[Agg("deals", "count"), Agg("mean", "avg", "secs"), Agg("median", "median", "secs")])
        out = [{**{k: v for k, v in r.items() if k not in ("deals", "mean", "median")}, "deals": as_int(r["deals"]),
                "mean_days": days(r["mean"]), "median_days": days(r["median"])} for r in rows]
        return _sorted(run, out)


class _Money(Report):
    """Amounts are summed per currency: the base currency first, others on their own rows."""

    revenue_bases = ("won", "cash")

    def output_columns(self, run: Run) -> list[Column]:
        columns = list(self.columns)
        if run.params.revenue == "cash":
            cash = {"deals": _("deals paid for"), "revenue": _("cash received"), "avg_check": _("cash per deal")}
            columns = [dataclasses.replace(c, label=cash.get(c.key, c.label)) for c in columns]
        return [*run.slice_columns(), Column("currency", _("currency"), "str"), *columns]

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        if params.revenue == "cash":  # the deals with a payment in the period
            url = deal_url(deal_drill(params, row, date="paid"), currency=row["currency"])
        else:
            url = deal_url(deal_drill(params, row, date="closed"), status=DealStatus.WON, currency=row["currency"])
        return {"deals": url, "revenue": url}

    def money_rows(self, run: Run) -> list[dict[str, Any]]:
        keys = list(run.params.by)
        if run.params.revenue == "cash":
            rows = []
            for raw in aggregate(cash_payments(run), groups={**cash_groups(run), "currency": F("invoice__currency")},
                                 inputs={"amt": F("amount"), "deal": F("invoice__deal_id")},
                                 aggs=[Agg("deals", "count_distinct", "deal"), Agg("revenue", "sum", "amt")]):
                rows.append({**run.slice_cells(raw), "currency": raw["currency"], "deals": as_int(raw["deals"]),
                             "revenue": as_money(raw["revenue"])})
            return sorted(rows, key=lambda r: (sort_key(r, keys), _currency_key(r)))
        rows = run.grouped(closed_deals(run, DealStatus.WON), inputs={"amt": F("amount")},
                           extra={"currency": F("currency")},
                           aggs=[Agg("deals", "count"), Agg("revenue", "sum", "amt")])
        for r in rows:
            r["deals"], r["revenue"] = as_int(r["deals"]), as_money(r["revenue"])
        return sorted(rows, key=lambda r: (sort_key(r, keys), _currency_key(r)))


@register
class AverageCheck(_Money):
    name = "avg-check"
    title = _("Average check")
    description = _("Mean amount of the deals won in the period, per currency (by cash: the payments received "
                    "in the period per deal paid for).")
    chart_value = "avg_check"
    columns = (Column("deals", _("won deals")), Column("revenue", _("revenue"), "money"),
               Column("avg_check", _("average check"), "money"))

    def rows(self, run: Run) -> list[dict[str, Any]]:
        out = self.money_rows(run)
        for r in out:
            r["avg_check"] = as_money(r["revenue"] / r["deals"]) if r["deals"] else None
        return out


@register
class Revenue(_Money):
    name = "revenue"
    title = _("Revenue")
    description = _("Amount of the deals won, by period (month unless chosen otherwise), per currency; by cash: "
                    "the payments received, by payment date.")
    default_by = ("month",)
    chart = "line"
    chart_value = "revenue"
    columns = (Column("deals", _("won deals")), Column("revenue", _("revenue"), "money"))

    def rows(self, run: Run) -> list[dict[str, Any]]:
        return self.money_rows(run)


@register
class LostReasons(Report):
    name = "lost-reasons"
    title = _("Lost reasons")
    description = _("Deals lost in the period by reason and furthest stage: count, share, amount "
                    "(base currency; deals in other currencies are counted apart).")
    chart_value = "count"
    columns = (Column("count", _("deals")), Column("share_pct", _("share, %"), "pct"),
               Column("amount", _("amount"), "money"), Column("other_currency", _("in other currencies")))

    def output_columns(self, run: Run) -> list[Column]:
        return [Column("reason_id", "id", "id"), Column("reason", _("lost reason"), "str"),
                Column("stage_id", "id", "id"), Column("stage", _("furthest stage"), "str"),
                *run.slice_columns(), *self.columns]

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        reason = "none" if row["reason_id"] is None else row["reason_id"]
        return {"count": deal_url(deal_drill(params, row, date="closed"), status=DealStatus.LOST,
                                  lost_reason=reason, furthest=row["stage_id"])}

    def rows(self, run: Run) -> list[dict[str, Any]]:
        base = settings.VORONKA_DEFAULT_CURRENCY
        stage = furthest_stage_path()
        rows = run.grouped(
            closed_deals(run, DealStatus.LOST),
            inputs={"base_amt": Case(When(currency=base, then=F("amount")), default=None),
                    "other": Case(When(currency=base, then=Value(0)), default=Value(1),
                                  output_field=IntegerField())},
            extra={"reason_id": F("lost_reason_id"), "reason": F("lost_reason__name"),
                   "stage_id": F(f"{stage}_id"), "stage": F(f"{stage}__name"), "_pos": F(f"{stage}__position")},
            aggs=[Agg("count", "count"), Agg("amount", "sum", "base_amt"), Agg("other_currency", "sum", "other")])
        total = sum(as_int(r["count"]) for r in rows)
        out = []
        for r in rows:
            position = r.pop("_pos")
            count = as_int(r.pop("count"))
            amount, other = as_money(r.pop("amount")), as_int(r.pop("other_currency"))
            out.append(({**r, "count": count, "share_pct": ratio(count, total, pct=True), "amount": amount,
                         "other_currency": other}, position))
        keys = list(run.params.by)
        out.sort(key=lambda pair: (str(pair[0]["reason"]).casefold(), pair[1], pair[0]["stage_id"],
                                   sort_key(pair[0], keys)))
        return [row for row, _pos in out]


def furthest_stage_path() -> str:
    """The deal's furthest visited stage (``furthest_stage``; the current stage before it existed)."""
    from ..slices import deal_has

    return "furthest_stage" if deal_has("furthest_stage") else "stage"
