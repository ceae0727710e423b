"""Plan vs fact per month for managers or teams, with a forecast for the current month.

- **Plans**: ``plans.SalesPlan`` rows the reader may see, for the chosen pipeline (``--pipeline``; without
  it the plans made for every pipeline), per month and subject (``--by manager``: plans of users, ``--by
  team``: plans of teams; a team's plan is its own target, not the sum of its members').
- **Fact**: the deals won in the month (``closed_at``, local time) that the reader sees, in the pipeline
  (without one: in every pipeline); a manager's are the deals he owns, a team's the deals whose
  ``owner_team`` (the team recorded on the deal) it is. ``fact_amount`` sums the base currency;
  ``fact_count`` counts every won deal.
- **Forecast** (the month holding "now" only): fact + Σ over the subject's open deals expected to close in
  the month (``expected_close_date`` in it; a deal without the date, or with another month, is left out) of
  amount (base currency; count: 1) × P(won | current stage S). P is computed from the closed deals the reader sees:
  deals that reached S (their furthest stage is S or later in S's pipeline, DESIGN.md §5) and are won,
  over deals that reached S and are closed (won or lost). A stage no closed deal reached counts 0.

- **Cash** (when billing is used: an invoice was issued, or ``revenue=cash``): ``cash_amount`` sums the
  payments received in the month (payment date) on invoices in the base currency of the deals the reader
  sees, attributed to the deal's manager (or the team recorded on the deal). ``revenue=cash`` measures
  ``done_pct`` by cash instead of won deals (the default ``revenue=won``); the forecast stays by won deals.

Rows: every subject with a plan, a won deal, a payment or (current month) an open deal in the month. Seven
queries whatever the data size: plans, won deals, whether billing is used, payments, open deals, closed
deals by furthest stage, stages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import Case, DecimalField, F, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.billing.models import Invoice, InvoiceStatus
from voronka.core.errors import DomainError
from voronka.deals.models import DealStatus
from voronka.pipelines.models import Stage
from voronka.plans.selectors import can_plan, visible_plans

from .. import slices as sl
from ..cash import PAYMENTS, cash_payments
from ..engine import Column, Report, Run, deal_drill, deal_url, register, sort_key
from ..sql import Agg, aggregate, as_int, as_money, ratio


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def months_of(run: Run) -> tuple[dt.date, dt.date]:
    """The first and last month the report covers: the months of ``from``..``to`` (whole months); without a
    period the current month; without ``from`` the month of ``to``; without ``to`` up to the current month."""
    today = timezone.localdate(run.now)
    first = run.params.date_from or run.params.date_to or today
    last = run.params.date_to or max(first, today)
    return first.replace(day=1), last.replace(day=1)


def round_half_up(value: Fraction, places: int) -> Fraction:
    scale = 10 ** places
    scaled = value * scale
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Fraction(whole, scale)


def money(value: Fraction) -> Decimal:
    cents = round_half_up(value, 2)
    return (Decimal(cents.numerator) / Decimal(cents.denominator)).quantize(Decimal("0.01"))


def pct(part: Fraction, whole: Fraction) -> float | None:
    """``part / whole`` in percent, 2 decimals rounded half up; None when there is no (or a zero) plan."""
    if whole is None or not whole:
        return None
    return float(round_half_up(part * 100 / whole, 2))


def stage_win_probability(run: Run) -> tuple[dict[int, tuple[int, int]], dict[int, dict[str, Any]]]:
    """Per stage: (won, closed) among the closed deals the reader sees that reached it."""
    closed = run.deals().filter(status__in=(DealStatus.WON, DealStatus.LOST))
    is_won = Case(When(status=DealStatus.WON, then=Value(1)), default=Value(0), output_field=IntegerField())
    rows = aggregate(closed, groups={"stage": F("furthest_stage_id")}, inputs={"won": is_won},
                     aggs=[Agg("closed", "count"), Agg("won", "sum", "won")])
    stages = {s["pk"]: s for s in Stage.objects.using(run.alias).values("pk", "pipeline_id", "position", "name")}
    at_or_beyond: dict[int, list[int]] = {pk: [0, 0] for pk in stages}
    for row in rows:
        far = stages.get(row["stage"])
        if far is None:
            continue
        for pk, stage in stages.items():
            if stage["pipeline_id"] == far["pipeline_id"] and stage["position"] <= far["position"]:
                at_or_beyond[pk][0] += as_int(row["won"])
                at_or_beyond[pk][1] += as_int(row["closed"])
    return {pk: (won, closed_n) for pk, (won, closed_n) in at_or_beyond.items()}, stages


@register
class PlanFact(Report):
    name = "plan-fact"
    title = _("Plan vs fact")
    description = _("Sales plans per month (amount and count of won deals) for managers or teams against the "
                    "deals won, and a forecast for the current month: fact plus the open deals weighted by the "
                    "historical probability of winning from their current stage.")
    slices = sl.PEOPLE_SLICES
    default_by = ("manager",)
    chart = "plan"  # plan, fact and forecast bars side by side (reports.js)
    chart_value = "fact_amount"
    columns = (Column("plan_amount", _("plan, amount"), "money"), Column("fact_amount", _("fact, amount"), "money"),
               Column("done_pct", _("done, %"), "pct"), Column("plan_count", _("plan, deals")),
               Column("fact_count", _("fact, won deals")), Column("count_done_pct", _("deals done, %"), "pct"),
               Column("forecast_amount", _("forecast, amount"), "money"),
               Column("forecast_count", _("forecast, deals"), "float"))
    page_links = (("plans:grid", _("Enter plans"), can_plan),)
    revenue_bases = ("won", "cash")
    cash_column = Column("cash_amount", _("cash received"), "money")

    def output_columns(self, run: Run) -> list[Column]:
        columns = list(self.columns)
        if run.notes.get("cash"):
            columns.insert(2, self.cash_column)
        return [Column("month", _("month"), "date"), *run.slice_columns(), *columns]

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        """``fact_count``: the deals won in the month by the manager (or with the team recorded)."""
        month = row["month"]
        query = {**deal_drill(params, row, date=None), "closed_from": month.isoformat(),
                 "closed_to": (_next_month(month) - dt.timedelta(days=1)).isoformat()}
        links = {"fact_count": deal_url(query, status=DealStatus.WON)}
        if row.get("cash_amount") is not None:
            links["cash_amount"] = deal_url({**deal_drill(params, row, date=None), "paid_from": query["closed_from"],
                                             "paid_to": query["closed_to"]})
        return links

    def rows(self, run: Run) -> list[dict[str, Any]]:
        if len(run.params.by) != 1:
            raise DomainError(gettext("Plan vs fact is grouped by exactly one of: manager, team."), field="by")
        if run.params.filters:
            raise DomainError(gettext("Plan vs fact has no filters; choose a pipeline and group by manager "
                                          "or team."), field=run.params.filters[0][0])
        subject = sl.SLICES[run.params.by[0]]
        keys = subject.output_keys()
        first, last = months_of(run)
        current = timezone.localdate(run.now).replace(day=1)
        tz = timezone.get_current_timezone()
        since = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
        until = dt.datetime.combine(_next_month(last), dt.time.min, tzinfo=tz)
        base = settings.VORONKA_DEFAULT_CURRENCY
        base_amount = Case(When(currency=base, then=F("amount")), default=None, output_field=DecimalField())
        cells: dict[tuple, dict[str, Any]] = {}

        def cell(month: dt.date, ident: tuple) -> dict[str, Any]:
            return cells.setdefault((month, ident[0]), {
                "month": month, **dict(zip(keys, ident, strict=True)), "plan_amount": None, "plan_count": None,
                "fact_amount": Fraction(0), "fact_count": 0, "cash_amount": Fraction(0), "open": []})

        # Plans (one query, labels joined).
        plans = visible_plans(actor=run.actor, using=run.alias).filter(month__gte=first, month__lte=last)
        if run.params.pipeline is None:
            plans = plans.filter(pipeline__isnull=True)
        else:
            plans = plans.filter(pipeline_id=run.params.pipeline.pk)
        if subject.key == "manager":
            plans = plans.filter(user__isnull=False).values(
                "month", "target_amount", "target_count", "user_id", "user__first_name", "user__last_name",
                "user__username")
        else:
            plans = plans.filter(team__isnull=False).values("month", "target_amount", "target_count", "team_id",
                                                            "team__name")
        for plan in plans:
            if subject.key == "manager":
                labels = [plan["user__first_name"], plan["user__last_name"], plan["user__username"]]
                ident = sl.compose(subject, plan["user_id"], labels)
            else:
                ident = sl.compose(subject, plan["team_id"], [plan["team__name"]])
            row = cell(plan["month"], tuple(ident[k] for k in keys))
            row["plan_amount"] = plan["target_amount"]
            row["plan_count"] = plan["target_count"]

        # Fact: the deals won in the months, by subject and month.
        won = run.deals().filter(status=DealStatus.WON, closed_at__gte=since, closed_at__lt=until)
        month_expr = sl.value_expr(sl.SLICES["month"], date_field="closed_at")
        for r in run.grouped(won, inputs={"amt": base_amount}, extra={"_month": month_expr},
                             aggs=[Agg("deals", "count"), Agg("amount", "sum", "amt")]):
            row = cell(sl.period_start(r["_month"]), tuple(r[k] for k in keys))
            row["fact_count"] += as_int(r["deals"])
            row["fact_amount"] += Fraction(as_money(r["amount"]))

        # Cash: the payments received in the months (base currency), by the deal's subject and month.
        cash = run.params.revenue == "cash" or Invoice.objects.using(run.alias).exclude(
            status__in=(InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED)).exists()
        if cash:
            paid = cash_payments(run, first=first, last=_next_month(last) - dt.timedelta(days=1), base_only=True)
            groups = {"s": sl.value_expr(subject, date_field=None, base=PAYMENTS),
                      "_month": sl.TRUNCS["month"]("paid_on")}
            for j, expr in enumerate(sl.label_exprs(subject, base=PAYMENTS)):
                groups[f"s_l{j}"] = expr
            for r in aggregate(paid, groups=groups, inputs={"amt": F("amount")}, aggs=[Agg("amount", "sum", "amt")]):
                labels = [r[f"s_l{j}"] for j in range(len(subject.label_fields))]
                ident = sl.compose(subject, r["s"], labels)
                row = cell(sl.period_start(r["_month"]), tuple(ident[k] for k in keys))
                row["cash_amount"] += Fraction(as_money(r["amount"]))
        run.notes["cash"] = cash

        # Forecast for the current month: open deals by subject and current stage.
        forecast = first <= current <= last
        probabilities: dict[int, tuple[int, int]] = {}
        if forecast:
            probabilities, stages = stage_win_probability(run)
            # Open deals expected to close in the month; without an expected close date a deal is no forecast.
            open_deals = run.deals().filter(status=DealStatus.OPEN, expected_close_date__gte=current,
                                            expected_close_date__lt=_next_month(current))
            for r in run.grouped(open_deals, inputs={"amt": base_amount}, extra={"_stage": F("stage_id")},
                                 aggs=[Agg("deals", "count"), Agg("amount", "sum", "amt")]):
                row = cell(current, tuple(r[k] for k in keys))
                row["open"].append((r["_stage"], as_int(r["deals"]), Fraction(as_money(r["amount"]))))
            run.notes["win_probability"] = [
                {"stage_id": pk, "stage": stages[pk]["name"], "pipeline_id": stages[pk]["pipeline_id"],
                 "reached_won": won_n, "reached_closed": closed_n,
                 "probability": float(round_half_up(Fraction(won_n, closed_n), 4)) if closed_n else None}
                for pk, (won_n, closed_n) in sorted(probabilities.items(),
                                                    key=lambda item: (stages[item[0]]["pipeline_id"],
                                                                      stages[item[0]]["position"], item[0]))]
        run.notes.update({"first_month": first.isoformat(), "last_month": last.isoformat(),
                          "forecast_month": current.isoformat() if forecast else None})

        out = []
        for row in cells.values():
            plan_amount, plan_count = row["plan_amount"], row["plan_count"]
            fact_amount = row["fact_amount"]
            done = row["cash_amount"] if run.params.revenue == "cash" else fact_amount
            result = {k: row[k] for k in ("month", *keys)}
            result.update({
                "plan_amount": plan_amount, "fact_amount": money(fact_amount),
                **({"cash_amount": money(row["cash_amount"])} if cash else {}),
                "done_pct": pct(done, Fraction(plan_amount)) if plan_amount is not None else None,
                "plan_count": plan_count, "fact_count": row["fact_count"],
                "count_done_pct": ratio(row["fact_count"], plan_count, pct=True) if plan_count else None,
                "forecast_amount": None, "forecast_count": None})
            if forecast and row["month"] == current:
                amount, count = fact_amount, Fraction(row["fact_count"])
                for stage_id, deals, open_amount in row["open"]:
                    won_n, closed_n = probabilities.get(stage_id, (0, 0))
                    p = Fraction(won_n, closed_n) if closed_n else Fraction(0)
                    amount += open_amount * p
                    count += deals * p
                result["forecast_amount"] = money(amount)
                result["forecast_count"] = float(round_half_up(count, 2))
            out.append(result)
        return sorted(out, key=lambda r: (r["month"], sort_key(r, run.params.by)))
