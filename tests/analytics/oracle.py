"""Reports computed independently in plain Python from the stored rows (no report code is reused)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from django.conf import settings
from django.utils import timezone

from voronka.accounts.models import Team, User
from voronka.activities.models import Task
from voronka.clients.models import Client
from voronka.deals.models import Deal
from voronka.pipelines.models import Stage

CENT = Decimal("0.01")


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment else None


def facts(actor: User) -> list[dict[str, Any]]:
    """One dict per deal the actor may see, with every slice's value (id, label) computed in Python."""
    users = {u.pk: u for u in User.objects.all()}
    teams = {t.pk: t.name for t in Team.objects.all()}
    clients = {c.pk: c for c in Client.objects.select_related("region", "industry", "target_audience")}
    names = {}
    for model in ("product", "channel", "source", "campaign"):
        field = Deal._meta.get_field(model)
        names[model] = {o.pk: o.name for o in field.related_model.objects.all()}
    out = []
    for d in Deal.objects.order_by("pk").values():
        owner = users[d["owner_id"]]
        if not _visible(actor, owner):
            continue
        client = clients[d["client_id"]]
        created, closed = _local(d["created_at"]), _local(d["closed_at"])
        row = dict(d)
        row["slices"] = {
            "manager": (owner.pk, owner.get_full_name() or owner.username),
            # The team recorded on the deal when the model has it (a manager who moved keeps his history).
            "team": ((d["owner_team_id"], teams.get(d["owner_team_id"])) if "owner_team_id" in d
                     else (owner.team_id, teams.get(owner.team_id))),
            "client_type": "new" if d["is_new_client"] else "current",
            "region": (client.region_id, client.region.name if client.region else None),
            "industry": (client.industry_id, client.industry.name if client.industry else None),
            "target_audience": (client.target_audience_id,
                                client.target_audience.name if client.target_audience else None),
            **{m: (d[f"{m}_id"], names[m].get(d[f"{m}_id"])) for m in names},
        }
        row["created_local"], row["closed_local"] = created, closed
        out.append(row)
    return out


def _visible(actor: User, owner: User) -> bool:
    if actor.scope == "all":
        return True
    if owner.pk == actor.pk:
        return True
    return actor.scope == "team" and actor.team_id is not None and owner.team_id == actor.team_id


def period_start(moment: dt.datetime, kind: str) -> dt.date:
    day = moment.date()
    if kind == "week":
        return day - dt.timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def in_period(moment: dt.datetime | None, start: dt.date | None, end: dt.date | None) -> bool:
    if moment is None:
        return False
    return (start is None or moment.date() >= start) and (end is None or moment.date() <= end)


def key_of(row: dict[str, Any], by: list[str], date_key: str) -> tuple:
    out = []
    for key in by:
        if key in ("week", "month", "quarter"):
            out.append((key, period_start(row[date_key], key)))
        elif key == "client_type":
            out.append((key, row["slices"][key]))
        else:
            out.append((key, row["slices"][key]))
    return tuple(out)


def slice_columns(key: tuple) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in key:
        if isinstance(value, tuple):
            out[f"{name}_id"], out[name] = value if value[0] is not None else (None, None)
        else:
            out[name] = value
    return out


def group(rows: list[dict[str, Any]], by: list[str], date_key: str) -> dict[tuple, list[dict[str, Any]]]:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[key_of(row, by, date_key)].append(row)
    return groups


def closed(rows, statuses, start, end, pipeline_id=None):
    return [r for r in rows if r["status"] in statuses and in_period(r["closed_local"], start, end)
            and (pipeline_id is None or r["pipeline_id"] == pipeline_id)]


def win_rate(actor, by, start=None, end=None, pipeline_id=None):
    out = []
    for key, items in group(closed(facts(actor), ("won", "lost"), start, end, pipeline_id), by,
                            "closed_local").items():
        won = sum(1 for r in items if r["status"] == "won")
        lost = len(items) - won
        out.append({**slice_columns(key), "won": won, "lost": lost, "closed": won + lost,
                    "win_rate": round(won / (won + lost), 4)})
    return out


def cycle(actor, by, start=None, end=None, pipeline_id=None):
    out = []
    for key, items in group(closed(facts(actor), ("won",), start, end, pipeline_id), by, "closed_local").items():
        secs = [(r["closed_at"] - r["created_at"]).total_seconds() for r in items]
        out.append({**slice_columns(key), "deals": len(items), "mean_days": round(sum(secs) / len(secs) / 86400, 4),
                    "median_days": round(median(secs) / 86400, 4)})
    return out


def money(actor, by, start=None, end=None, *, check: bool):
    out = []
    rows = closed(facts(actor), ("won",), start, end)
    for key, items in group(rows, by, "closed_local").items():
        per_currency: dict[str, list[Decimal]] = defaultdict(list)
        for r in items:
            per_currency[r["currency"]].append(Decimal(r["amount"]))
        for currency, amounts in per_currency.items():
            total = sum(amounts, Decimal(0)).quantize(CENT)
            row = {**slice_columns(key), "currency": currency, "deals": len(amounts), "revenue": total}
            if check:
                row["avg_check"] = (total / len(amounts)).quantize(CENT, rounding=ROUND_HALF_UP)
            out.append(row)
    return out


def lost_reasons(actor, by, start=None, end=None, *, stage_key: str):
    rows = closed(facts(actor), ("lost",), start, end)
    if stage_key == "furthest_stage_id":  # computed from the log here, not read from the deal
        stages_, log, _ordered = _log(0)
        for r in rows:
            visited = [stages_[t["to_stage_id"]] for t in log[r["id"]]
                       if t["to_stage_id"] and stages_[t["to_stage_id"]].pipeline_id == r["pipeline_id"]]
            r["furthest_stage_id"] = max(visited, key=lambda s: (s.position, s.pk)).pk
    reasons = {r.pk: r.name for r in Deal._meta.get_field("lost_reason").related_model.objects.all()}
    stages = {s.pk: s.name for s in Stage.objects.all()}
    groups: dict[tuple, list] = defaultdict(list)
    for r in rows:
        groups[(r["lost_reason_id"], r[stage_key], key_of(r, by, "closed_local"))].append(r)
    out = []
    base = settings.VORONKA_DEFAULT_CURRENCY
    for (reason, stage, key), items in groups.items():
        amount = sum((Decimal(r["amount"]) for r in items if r["currency"] == base), Decimal(0)).quantize(CENT)
        out.append({"reason_id": reason, "reason": reasons[reason], "stage_id": stage, "stage": stages[stage],
                    **slice_columns(key), "count": len(items), "share_pct": round(len(items) * 100 / len(rows), 2),
                    "amount": amount, "other_currency": sum(1 for r in items if r["currency"] != base)})
    return out


def stuck(actor, by, now: dt.datetime):
    rows = [r for r in facts(actor) if r["status"] == "open"]
    stages = {s.pk: s.max_days for s in Stage.objects.all()}
    open_task_deals = set(Task.objects.filter(status="open", deal__isnull=False).values_list("deal_id", flat=True))
    out: dict[tuple, dict[str, Any]] = {}
    zero = {"open_deals": 0, "past_max_days": 0, "no_open_task": 0, "overdue_tasks": 0}
    users = {u.pk: u for u in User.objects.all()}
    teams = {t.pk: t.name for t in Team.objects.all()}
    for r in rows:
        owner = users[r["owner_id"]]  # the state now: the owner's current team
        values = {"manager": r["slices"]["manager"], "team": (owner.team_id, teams.get(owner.team_id))}
        key = tuple((k, values[k]) for k in by)
        row = out.setdefault(key, {**slice_columns(key), **zero})
        row["open_deals"] += 1
        limit = stages[r["stage_id"]]
        if limit and (now - r["stage_entered_at"]).total_seconds() > limit * 86400:  # 0: no limit
            row["past_max_days"] += 1
        if r["id"] not in open_task_deals:
            row["no_open_task"] += 1
    deal_owner = {d: users[o] for d, o in Deal.objects.values_list("id", "owner_id")}
    today = timezone.localtime(now).date()
    for t in Task.objects.filter(status="open", due_date__lt=today).values():
        assignee = users[t["assignee_id"]]
        owner = deal_owner.get(t["deal_id"])
        if not (_visible(actor, assignee) or (owner is not None and _visible(actor, owner))):
            continue
        values = {"manager": (assignee.pk, assignee.get_full_name() or assignee.username),
                  "team": (assignee.team_id, teams.get(assignee.team_id))}
        key = tuple((k, values[k]) for k in by)
        row = out.setdefault(key, {**slice_columns(key), **zero})
        row["overdue_tasks"] += 1
    return list(out.values())


def _log(pipeline_id: int):
    from voronka.deals.models import StageTransition

    stages = {s.pk: s for s in Stage.objects.all()}
    by_deal: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for t in StageTransition.objects.order_by("at", "id").values():
        by_deal[t["deal_id"]].append(t)
    ordered = list(Stage.objects.filter(pipeline_id=pipeline_id).order_by("position", "id"))
    return stages, by_deal, ordered


def _furthest(transitions, stages, pipeline_id) -> int | None:
    positions = [stages[t["to_stage_id"]].position for t in transitions
                 if t["to_stage_id"] and stages[t["to_stage_id"]].pipeline_id == pipeline_id]
    return max(positions) if positions else None


def _stays(transitions, stages, pipeline_id, keep) -> dict[int, int]:
    """Seconds per stage of one deal (all its stays summed) over the transitions ``keep`` accepts."""
    out: dict[int, int] = defaultdict(int)
    for t in transitions:
        if t["from_stage_id"] and stages[t["from_stage_id"]].pipeline_id == pipeline_id and keep(t):
            out[t["from_stage_id"]] += t["seconds_in_from_stage"]
    return out


def _funnel_rows(key, ordered, reached, ends, stays, *, open_default=0):
    out = []
    first = reached.get(ordered[0].pk, 0)
    for i, stage in enumerate(ordered):
        count = reached.get(stage.pk, 0)
        end = ends.get(stage.position, {})
        converted = reached.get(ordered[i + 1].pk, 0) if i + 1 < len(ordered) else end.get("won", 0)
        secs = stays.get(stage.pk, [])
        out.append({**slice_columns(key), "stage_id": stage.pk, "stage": stage.name, "reached": count,
                    "converted": converted,
                    "conversion_pct": round(converted * 100 / count, 2) if count else None,
                    "dropped": end.get("lost", 0), "won": end.get("won", 0), "open": end.get("open", open_default),
                    "share_pct": round(count * 100 / first, 2) if first else None,
                    "mean_days": round(sum(secs) / len(secs) / 86400, 4) if secs else None,
                    "median_days": round(median(secs) / 86400, 4) if secs else None})
    return out


def funnel_cohort(actor, pipeline_id, by=(), start=None, end=None):
    stages, log, ordered = _log(pipeline_id)
    cohort = [r for r in facts(actor) if r["pipeline_id"] == pipeline_id and in_period(r["created_local"], start, end)]
    out = []
    for key, items in group(cohort, list(by), "created_local").items():
        reached: dict[int, int] = defaultdict(int)
        ends: dict[int, dict[str, int]] = {}
        stays: dict[int, list[int]] = defaultdict(list)
        for r in items:
            far = _furthest(log[r["id"]], stages, pipeline_id)
            for stage in ordered:
                if stage.position <= far:
                    reached[stage.pk] += 1
            cell = ends.setdefault(far, {"won": 0, "lost": 0, "open": 0})
            cell[r["status"]] += 1
            for stage_id, secs in _stays(log[r["id"]], stages, pipeline_id, lambda t: True).items():
                stays[stage_id].append(secs)
        out.extend(_funnel_rows(key, ordered, reached, ends, stays))
    return out


def funnel_flow(actor, pipeline_id, by=(), start=None, end=None):
    stages, log, ordered = _log(pipeline_id)
    visible = {r["id"]: r for r in facts(actor)}
    entry = {"created", "forward", "skip", "pipeline_change"}
    groups: dict[tuple, dict[str, Any]] = {}

    def cell(key):
        return groups.setdefault(key, {"reached": defaultdict(set), "ends": {}, "stays": defaultdict(list)})

    for deal_id, transitions in log.items():
        if deal_id not in visible:
            continue
        r = visible[deal_id]
        far = _furthest(transitions, stages, pipeline_id)
        per_key_stays: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for t in transitions:
            when = timezone.localtime(t["at"])
            if not in_period(when, start, end):
                continue
            key = key_of({**r, "at_local": when}, list(by), "at_local")
            to = stages.get(t["to_stage_id"])
            if t["kind"] in entry and to is not None and to.pipeline_id == pipeline_id:
                source = stages.get(t["from_stage_id"])
                from_pos = source.position if source is not None and source.pipeline_id == pipeline_id else None
                for stage in ordered:
                    if stage.position <= to.position and (from_pos is None or from_pos < stage.position):
                        cell(key)["reached"][stage.pk].add(deal_id)
            source = stages.get(t["from_stage_id"])
            if source is not None and source.pipeline_id == pipeline_id:
                per_key_stays[key][source.pk] += t["seconds_in_from_stage"]
                if t["kind"] in ("won", "lost"):
                    ends = cell(key)["ends"].setdefault(far, {"won": set(), "lost": set(), "open": None})
                    ends[t["kind"]].add(deal_id)
        for key, per_stage in per_key_stays.items():
            for stage_id, secs in per_stage.items():
                cell(key)["stays"][stage_id].append(secs)
    out = []
    for key, c in groups.items():
        reached = {pk: len(deals) for pk, deals in c["reached"].items()}
        ends = {pos: {"won": len(v["won"]), "lost": len(v["lost"]), "open": None} for pos, v in c["ends"].items()}
        out.extend(_funnel_rows(key, ordered, reached, ends, c["stays"], open_default=None))
    return out


def _won_by_client(actor, by, keep=lambda r: True):
    clients: dict[tuple, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in facts(actor):
        if r["status"] == "won" and keep(r):
            clients[tuple((k, r["slices"][k]) for k in by)][r["client_id"]].append(r)
    return clients


def churn(actor, by, start: dt.date, end: dt.date):
    previous = start - (end - start + dt.timedelta(days=1))
    out = []
    for key, per_client in _won_by_client(actor, by).items():
        before = {c for c, deals in per_client.items()
                  if any(previous <= r["closed_local"].date() < start for r in deals)}
        now = {c for c, deals in per_client.items() if any(start <= r["closed_local"].date() <= end for r in deals)}
        if before:
            churned = len(before - now)
            out.append({**slice_columns(key), "previous_clients": len(before), "churned": churned,
                        "churn_rate": round(churned / len(before), 4)})
    return out


def repeat(actor, by, start=None, end=None):
    out = []
    for key, per_client in _won_by_client(actor, by, lambda r: in_period(r["closed_local"], start, end)).items():
        buyers = len(per_client)
        repeaters = sum(1 for deals in per_client.values() if len(deals) >= 2)
        gaps = []
        for deals in per_client.values():
            if len(deals) >= 2:
                first, second = sorted(deals, key=lambda r: (r["closed_at"], r["id"]))[:2]
                gaps.append(round((second["closed_at"] - first["closed_at"]).total_seconds()))
        out.append({**slice_columns(key), "buyers": buyers, "repeat_buyers": repeaters,
                    "repeat_rate": round(repeaters / buyers, 4),
                    "mean_days_to_second": round(sum(gaps) / len(gaps) / 86400, 4) if gaps else None,
                    "median_days_to_second": round(median(gaps) / 86400, 4) if gaps else None})
    return out


def ltv(actor, by):
    base = settings.VORONKA_DEFAULT_CURRENCY
    out = []
    for key, per_client in _won_by_client(actor, by, lambda r: r["currency"] == base).items():
        values = [sum((Decimal(r["amount"]) for r in deals), Decimal(0)) for deals in per_client.values()]
        total = sum(values, Decimal(0)).quantize(CENT)
        out.append({**slice_columns(key), "clients": len(values), "revenue": total,
                    "mean_ltv": (total / len(values)).quantize(CENT, rounding=ROUND_HALF_UP),
                    "median_ltv": Decimal(median(values)).quantize(CENT, rounding=ROUND_HALF_UP)})
    return out


def dips(actor, by, start: dt.date, end: dt.date, kind: str, threshold: float = 30.0):
    def bucket(day: dt.date) -> dt.date:
        return period_start(dt.datetime.combine(day, dt.time()), kind)

    buckets = []
    day = bucket(start)
    while day <= end:
        buckets.append(day)
        day = day + dt.timedelta(days=7) if kind == "week" else (day + dt.timedelta(days=32)).replace(day=1)
    base = settings.VORONKA_DEFAULT_CURRENCY
    series: dict[tuple, dict[str, dict[dt.date, Any]]] = defaultdict(
        lambda: {"new_deals": defaultdict(int), "won_deals": defaultdict(int), "won_revenue": defaultdict(Decimal)})
    for r in facts(actor):
        key = tuple((k, r["slices"][k]) for k in by)
        created = bucket(r["created_local"].date())
        if created in buckets:
            series[key]["new_deals"][created] += 1
        if r["status"] == "won":
            closed = bucket(r["closed_local"].date())
            if closed in buckets:
                series[key]["won_deals"][closed] += 1
                series[key]["won_revenue"][closed] += Decimal(r["amount"]) if r["currency"] == base else 0
    out = []
    for key, metrics in series.items():
        for metric, values in metrics.items():
            for before_day, now_day in itertools.pairwise(buckets):
                before, now = values.get(before_day, 0), values.get(now_day, 0)
                if before > 0:
                    change = round((float(now) - float(before)) * 100 / float(before), 2)
                    if change <= -threshold:
                        out.append({**slice_columns(key), "period": now_day, "metric": metric,
                                    "previous": float(before), "current": float(now), "change_pct": change})
    return out


# --- plan vs fact -----------------------------------------------------------------------------------------

def _half_up(value, places: str) -> Decimal:
    """An exact rational (Fraction, int or Decimal) rounded half up (computed with 60 digits, then quantised)."""
    from decimal import localcontext
    from fractions import Fraction

    value = Fraction(value)
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(places),
                                                                                rounding=ROUND_HALF_UP)


def _plan_visible(actor: User, plan, users: dict[int, User]) -> bool:
    if actor.scope == "all":
        return True
    if plan.user_id == actor.pk:
        return True
    if actor.scope != "team" or actor.team_id is None:
        return False
    return plan.team_id == actor.team_id or (plan.user_id is not None and users[plan.user_id].team_id == actor.team_id)


def win_probabilities(actor, pipeline_id=None) -> dict[int, tuple[int, int]]:
    """Per stage: (won, closed) among the visible closed deals whose furthest stage (from the log) is at or after
    it in its pipeline."""
    stages_, log, _ordered = _log(0)
    out = {pk: [0, 0] for pk in stages_}
    for r in facts(actor):
        if r["status"] not in ("won", "lost") or (pipeline_id is not None and r["pipeline_id"] != pipeline_id):
            continue
        far = _furthest(log[r["id"]], stages_, r["pipeline_id"])
        for stage in stages_.values():
            if stage.pipeline_id == r["pipeline_id"] and stage.position <= far:
                out[stage.pk][0] += r["status"] == "won"
                out[stage.pk][1] += 1
    return {pk: (w, c) for pk, (w, c) in out.items()}


def plan_fact(actor, by: str, first: dt.date, last: dt.date, now: dt.datetime, pipeline_id=None):
    """Plan vs fact per month and manager (or team), with the current month's forecast, from the rows."""
    from fractions import Fraction

    from voronka.plans.models import SalesPlan

    users = {u.pk: u for u in User.objects.all()}
    teams = {t.pk: t.name for t in Team.objects.all()}
    base = settings.VORONKA_DEFAULT_CURRENCY
    current = timezone.localtime(now).date().replace(day=1)
    cells: dict[tuple, dict[str, Any]] = {}

    def cell(month, subject):
        ident = {f"{by}_id": subject[0], by: subject[1]} if subject[0] is not None else {f"{by}_id": None, by: None}
        return cells.setdefault((month, subject[0]), {"month": month, **ident, "plan_amount": None,
                                                      "plan_count": None, "fact_amount": Fraction(0),
                                                      "fact_count": 0, "forecast": None})

    for plan in SalesPlan.objects.all():
        if not (first <= plan.month <= last) or plan.pipeline_id != pipeline_id:
            continue
        if not _plan_visible(actor, plan, users):
            continue
        if by == "manager" and plan.user_id:
            u = users[plan.user_id]
            subject = (u.pk, u.get_full_name() or u.username)
        elif by == "team" and plan.team_id:
            subject = (plan.team_id, teams[plan.team_id])
        else:
            continue
        c = cell(plan.month, subject)
        c["plan_amount"], c["plan_count"] = plan.target_amount, plan.target_count
    rows = [r for r in facts(actor) if pipeline_id is None or r["pipeline_id"] == pipeline_id]
    for r in rows:
        if r["status"] == "won" and first <= r["closed_local"].date().replace(day=1) <= last:
            c = cell(r["closed_local"].date().replace(day=1), r["slices"][by])
            c["fact_count"] += 1
            if r["currency"] == base:
                c["fact_amount"] += Fraction(r["amount"])
    if first <= current <= last:
        probability = win_probabilities(actor, pipeline_id)
        for r in rows:
            expected = r["expected_close_date"]
            if r["status"] != "open" or expected is None or expected.replace(day=1) != current:
                continue  # the forecast counts the open deals expected to close this month
            c = cell(current, r["slices"][by])
            won, closed_n = probability.get(r["stage_id"], (0, 0))
            p = Fraction(won, closed_n) if closed_n else Fraction(0)
            amount, count = c["forecast"] or (Fraction(0), Fraction(0))
            c["forecast"] = (amount + (Fraction(r["amount"]) * p if r["currency"] == base else 0), count + p)
        for (month, _s), c in cells.items():
            if month == current and c["forecast"] is None:
                c["forecast"] = (Fraction(0), Fraction(0))
    out = []
    for c in cells.values():
        row = {k: c[k] for k in ("month", f"{by}_id", by, "plan_amount", "plan_count", "fact_count")}
        row["fact_amount"] = _half_up(c["fact_amount"], "0.01")
        row["done_pct"] = (float(_half_up(c["fact_amount"] * 100 / Fraction(c["plan_amount"]), "0.01"))
                           if c["plan_amount"] else None)
        row["count_done_pct"] = round(c["fact_count"] * 100 / c["plan_count"], 2) if c["plan_count"] else None
        if c["forecast"] is None:
            row["forecast_amount"] = row["forecast_count"] = None
        else:
            row["forecast_amount"] = _half_up(c["fact_amount"] + c["forecast"][0], "0.01")
            row["forecast_count"] = float(_half_up(c["fact_count"] + c["forecast"][1], "0.01"))
        out.append(row)
    return out


# --- order in the CRM -----------------------------------------------------------------------------------------

def crm_order(actor, by: str, now: dt.datetime, pipeline_id=None):
    """The four shares per manager (or current team) and the score, from the rows and ``deals.rules``."""
    from fractions import Fraction

    from voronka.clients.models import QualificationAnswer, Question
    from voronka.deals.rules import missing_required_fields
    from voronka.pipelines.models import StageQuestion

    users = {u.pk: u for u in User.objects.all()}
    teams = {t.pk: t.name for t in Team.objects.all()}
    today = timezone.localtime(now).date()
    names = ("open_deals", "with_open_task", "open_tasks", "on_time_tasks", "clients", "qualified_clients",
             "checked_deals", "complete_deals")
    rows: dict[tuple, dict[str, Any]] = {}

    def row(user: User) -> dict[str, Any]:
        ident = ((user.pk, user.get_full_name() or user.username) if by == "manager"
                 else (user.team_id, teams.get(user.team_id)))
        return rows.setdefault(ident, {f"{by}_id": ident[0], by: ident[1], **dict.fromkeys(names, 0)})

    open_task_deals = set(Task.objects.filter(status="open", deal__isnull=False).values_list("deal_id", flat=True))
    for deal in Deal.objects.filter(status="open").select_related("stage", "client"):
        owner = users[deal.owner_id]
        if not _visible(actor, owner) or (pipeline_id is not None and deal.pipeline_id != pipeline_id):
            continue
        r = row(owner)
        r["open_deals"] += 1
        r["checked_deals"] += 1
        r["with_open_task"] += deal.pk in open_task_deals
        r["complete_deals"] += not missing_required_fields(deal, deal.stage)
    for task in Task.objects.filter(status="open").select_related("deal"):
        assignee = users[task.assignee_id]
        if not _visible(actor, assignee):
            continue
        if pipeline_id is not None and (task.deal is None or task.deal.pipeline_id != pipeline_id):
            continue
        r = row(assignee)
        r["open_tasks"] += 1
        r["on_time_tasks"] += task.due_date >= today
    # Clients: the active questions linked to the stages their deals reached (furthest stage from the log).
    stages_, log, _ordered = _log(0)
    active = set(Question.objects.filter(is_active=True, question_set__is_active=True).values_list("pk", flat=True))
    links: dict[int, set[int]] = defaultdict(set)
    for stage_id, question_id in StageQuestion.objects.values_list("stage_id", "question_id"):
        if question_id in active:
            links[stage_id].add(question_id)
    asked: dict[int, set[int]] = defaultdict(set)
    for deal in Deal.objects.all():
        far = _furthest(log[deal.pk], stages_, deal.pipeline_id)
        for stage in stages_.values():
            if stage.pipeline_id == deal.pipeline_id and far is not None and stage.position <= far:
                asked[deal.client_id] |= links[stage.pk]
    answered: dict[int, set[int]] = defaultdict(set)
    for client_id, question_id in QualificationAnswer.objects.values_list("client_id", "question_id"):
        answered[client_id].add(question_id)
    for client in Client.objects.filter(status__in=("lead", "client"), responsible__isnull=False):
        responsible = users[client.responsible_id]
        if asked[client.pk] and _visible(actor, responsible):
            r = row(responsible)
            r["clients"] += 1
            r["qualified_clients"] += asked[client.pk] <= answered[client.pk]
    out = []
    for r in rows.values():
        shares = []
        for whole, part, pct_key in (("open_deals", "with_open_task", "open_task_pct"),
                                     ("open_tasks", "on_time_tasks", "on_time_pct"),
                                     ("clients", "qualified_clients", "qualified_pct"),
                                     ("checked_deals", "complete_deals", "fields_pct")):
            r[pct_key] = round(r[part] * 100 / r[whole], 2) if r[whole] else None
            if r[whole]:
                shares.append(Fraction(r[part], r[whole]))
        r["score"] = float(_half_up(sum(shares) * 100 / len(shares), "0.01")) if shares else None
        out.append(r)
    scores = sorted((r["score"] for r in out if r["score"] is not None), reverse=True)
    for r in out:
        r["rank"] = scores.index(r["score"]) + 1 if r["score"] is not None else None
    return out
