"""Report benchmarks: our report (``run_report``, full scope) vs a hand-written SQL giving the same numbers.

Called by ``bench.pages`` on the data it built (same database, same run); each pair is checked for equal
numbers before it is timed, so the ratio compares like with like.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import connection

from bench.pages import _median_ms


def _fetch(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _seconds(end: str, start: str) -> str:
    if connection.vendor == "postgresql":
        return f"ROUND(EXTRACT(EPOCH FROM ({end} - {start})))::float8"
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0)"


def _median_sql(value: str, partition: str) -> tuple[str, str]:
    """Window columns and the median expression (the textbook ROW_NUMBER/COUNT form)."""
    over = f"PARTITION BY {partition}" if partition else ""
    windows = (f"ROW_NUMBER() OVER ({over} ORDER BY {value}) AS rn, COUNT(*) OVER ({over}) AS cnt")
    return windows, f"AVG(CASE WHEN rn IN ((cnt + 1) / 2, (cnt + 2) / 2) THEN {value} END)"


def _furthest_sql() -> str:
    """The furthest visited stage position of a deal in its pipeline, as the report defines it."""
    from voronka.deals.models import Deal

    if any(f.name == "furthest_stage" for f in Deal._meta.fields):
        return "(SELECT fs.position FROM pipelines_stage fs WHERE fs.id = d.furthest_stage_id)"
    return ("(SELECT MAX(ts.position) FROM deals_stagetransition t JOIN pipelines_stage ts ON ts.id = t.to_stage_id "
            "WHERE t.deal_id = d.id AND ts.pipeline_id = d.pipeline_id)")


# --- the hand-written queries --------------------------------------------------------------------------

def hand_win_rate() -> dict:
    rows = _fetch("SELECT owner_id, SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), "
                  "SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END) FROM deals_deal "
                  "WHERE status IN ('won', 'lost') GROUP BY owner_id", [])
    return {owner: (int(won), int(lost)) for owner, won, lost in rows}


def hand_cycle() -> dict:
    windows, med = _median_sql("secs", "owner_id")
    rows = _fetch(f"SELECT owner_id, COUNT(*), AVG(secs), {med} FROM (SELECT owner_id, secs, {windows} FROM "
                  f"(SELECT owner_id, {_seconds('closed_at', 'created_at')} AS secs FROM deals_deal "
                  f"WHERE status = 'won') x) y GROUP BY owner_id", [])
    return {owner: (int(n), round(float(mean) / 86400, 4), round(float(m) / 86400, 4)) for owner, n, mean, m in rows}


def hand_funnel(pipeline_id: int, group_sql: list[str], stages: list[tuple[int, int]]) -> dict:
    """Reached per (group, stage) from one grouped scan, plus days on stage (per deal, then per stage)."""
    groups = ", ".join(group_sql)
    sel = f"{groups}, " if groups else ""
    counts = _fetch(f"SELECT {sel}fpos, COUNT(*) FROM (SELECT d.*, {_furthest_sql()} AS fpos FROM deals_deal d "
                    f"WHERE d.pipeline_id = %s) d GROUP BY {sel}fpos", [pipeline_id])
    reached: dict[tuple, int] = defaultdict(int)
    n = len(group_sql)
    for row in counts:
        key, fpos, count = tuple(row[:n]), row[n], row[n + 1]
        for stage_id, position in stages:
            if fpos is not None and position <= fpos:
                reached[(*key, stage_id)] += count
    part = ", ".join([*(g.replace("d.", "x.") for g in group_sql), "x.from_stage_id"])
    windows, med = _median_sql("x.secs", part)
    inner_groups = ", ".join([*group_sql, "t.from_stage_id", "t.deal_id"])
    stays = _fetch(
        f"SELECT {part}, AVG(x.secs), {med} FROM "
        f"(SELECT x.*, {windows} FROM (SELECT {inner_groups}, SUM(t.seconds_in_from_stage) AS secs "
        f"FROM deals_stagetransition t JOIN deals_deal d ON d.id = t.deal_id "
        f"JOIN pipelines_stage s ON s.id = t.from_stage_id WHERE d.pipeline_id = %s AND s.pipeline_id = %s "
        f"GROUP BY {inner_groups}) x) x GROUP BY {part}", [pipeline_id, pipeline_id])
    days = {tuple(r[:n + 1]): round(float(r[n + 1]) / 86400, 4) for r in stays}
    return {k: (v, days.get(k)) for k, v in reached.items()}


def hand_plan_fact(month_start, month_end, base: str) -> dict:
    """Plan vs fact of the current month by manager, with the forecast: plans, won deals, open deals by stage
    and the per-stage win probability (closed deals that reached the stage), combined exactly."""
    from fractions import Fraction

    plans = {u: (a, c) for u, a, c in _fetch(
        "SELECT user_id, target_amount, target_count FROM plans_salesplan "
        "WHERE month = %s AND pipeline_id IS NULL AND user_id IS NOT NULL", [month_start.date()])}
    fact = {o: (int(n), Fraction(str(round(float(a or 0), 2)))) for o, n, a in _fetch(
        "SELECT owner_id, COUNT(*), SUM(CASE WHEN currency = %s THEN amount END) FROM deals_deal "
        "WHERE status = 'won' AND closed_at >= %s AND closed_at < %s GROUP BY owner_id",
        [base, month_start, month_end])}
    probability = {s: Fraction(int(w), int(c)) for s, w, c in _fetch(
        "SELECT s.id, SUM(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END), COUNT(*) FROM deals_deal d "
        "JOIN pipelines_stage f ON f.id = d.furthest_stage_id "
        "JOIN pipelines_stage s ON s.pipeline_id = f.pipeline_id AND s.position <= f.position "
        "WHERE d.status IN ('won', 'lost') GROUP BY s.id", [])}
    forecast: dict[int, Fraction] = {}
    for owner, stage, amount in _fetch(
            "SELECT owner_id, stage_id, SUM(CASE WHEN currency = %s THEN amount END) FROM deals_deal "
            "WHERE status = 'open' AND expected_close_date >= %s AND expected_close_date < %s "
            "GROUP BY owner_id, stage_id", [base, month_start.date(), month_end.date()]):
        forecast[owner] = forecast.get(owner, Fraction(0)) + \
            Fraction(str(round(float(amount or 0), 2))) * probability.get(stage, Fraction(0))
    def cents(value: Fraction) -> float:
        scaled = value * 100
        return float(Fraction(int(scaled + Fraction(1, 2)), 100))  # half up (amounts are never negative)

    out = {}
    for owner in {*plans, *fact, *forecast}:
        n, amount = fact.get(owner, (0, Fraction(0)))
        plan = plans.get(owner, (None, None))
        out[owner] = (None if plan[0] is None else float(plan[0]), n, cents(amount),
                      cents(amount + forecast.get(owner, Fraction(0))))
    return out


# --- the cases -----------------------------------------------------------------------------------------

def report_ratios(repeat: int) -> list[dict]:
    from voronka.analytics.engine import full_scope_actor, run_report
    from voronka.pipelines.models import Pipeline

    actor = full_scope_actor()
    pipeline = Pipeline.objects.get(slug="inbound")
    stages = list(pipeline.stages.order_by("position", "id").values_list("pk", "position"))
    cases = []

    def ours_win_rate():
        rows = run_report(actor=actor, name="win-rate", params={"by": "manager"}).rows
        return {r["manager_id"]: (r["won"], r["lost"]) for r in rows}

    cases.append(("win-rate by manager", ours_win_rate, hand_win_rate))

    def ours_cycle():
        rows = run_report(actor=actor, name="cycle", params={"by": "manager"}).rows
        return {r["manager_id"]: (r["deals"], r["mean_days"], r["median_days"]) for r in rows}

    cases.append(("cycle by manager", ours_cycle, hand_cycle))

    funnels = [("funnel", "", []), ("funnel by manager", "manager", ["d.owner_id"]),
               ("funnel by product", "product", ["d.product_id"]),
               ("funnel by manager × new/current", "manager,client_type", ["d.owner_id", "d.is_new_client"])]
    for title, by, group_sql in funnels:
        keys = [k for k in by.split(",") if k]

        def ours_funnel(by=by, keys=keys):
            rows = run_report(actor=actor, name="funnel", params={"pipeline": "inbound", "by": by}).rows
            out = {}
            for r in rows:
                key = tuple((r["client_type"] == "new") if k == "client_type" else r[f"{k}_id"] for k in keys)
                if r["reached"]:
                    out[(*key, r["stage_id"])] = (r["reached"], r["mean_days"])
            return out

        def hand(group_sql=group_sql):
            got = hand_funnel(pipeline.pk, group_sql, stages)
            return {tuple(bool(v) if isinstance(v, int) and g.endswith("is_new_client") else v
                          for v, g in zip(k, [*group_sql, "stage"], strict=True)): val for k, val in got.items()}

        cases.append((title, ours_funnel, hand))

    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    month_start = dt.datetime.combine(today.replace(day=1), dt.time.min, tzinfo=tz)
    month_end = dt.datetime.combine((today.replace(day=1) + dt.timedelta(days=32)).replace(day=1), dt.time.min,
                                    tzinfo=tz)

    def ours_plan_fact():
        rows = run_report(actor=actor, name="plan-fact", params={}).rows
        return {r["manager_id"]: (None if r["plan_amount"] is None else float(r["plan_amount"]), r["fact_count"],
                                  float(r["fact_amount"]), float(r["forecast_amount"])) for r in rows}

    cases.append(("plan-fact by manager (current month, forecast)", ours_plan_fact,
                  lambda: hand_plan_fact(month_start, month_end, settings.VORONKA_DEFAULT_CURRENCY)))

    out = []
    for name, ours, hand in cases:
        got, expected = ours(), hand()
        if got != expected:
            diff = {k: (got.get(k), expected.get(k)) for k in set(got) | set(expected) if got.get(k) != expected.get(k)}
            raise SystemExit(f"{name}: our report differs from the hand SQL: {list(diff.items())[:5]}")
        ours_ms, hand_ms = _median_ms(ours, repeat), _median_ms(hand, repeat)
        out.append({"name": f"report {name} vs hand SQL", "ours_ms": ours_ms, "sql_ms": hand_ms,
                    "ratio": ours_ms / hand_ms if hand_ms else None})
    return out


# --- every report on a kept database ----------------------------------------------------------------------

REPORT_CASES = {
    "win-rate": {"by": "manager"}, "cycle": {"by": "manager"}, "avg-check": {}, "revenue": {},
    "lost-reasons": {}, "funnel": {"pipeline": "inbound"}, "manager-stage": {"pipeline": "inbound"},
    "stuck": {}, "crm-order": {}, "plan-fact": {}, "churn": {"from": "-180", "to": "0"}, "repeat": {}, "ltv": {},
    "campaigns": {}, "activity": {}, "dips": {"from": "-90", "to": "0"},
}


def time_reports(repeat: int, only: list[str] | None = None) -> list[dict]:
    """Our time for every report (full scope), medians of ``repeat`` runs after a warm-up."""
    import datetime as dt

    from django.utils import timezone

    from voronka.analytics.engine import full_scope_actor, run_report

    actor, today = full_scope_actor(), timezone.localdate()
    out = []
    for name, raw in REPORT_CASES.items():
        if only and name not in only:
            continue
        params = {k: (today + dt.timedelta(days=int(v))).isoformat() if k in ("from", "to") else v
                  for k, v in raw.items()}
        out.append({"name": f"report {name}", "ours_ms": _median_ms(
            lambda name=name, params=params: run_report(actor=actor, name=name, params=params), repeat)})
    return out


def main() -> None:
    """``python -m bench.reports --size N [--only a,b] [--pairs]`` on the configured database, building the demo
    there first when it holds fewer deals (a kept database: rerun after a change without regenerating)."""
    import argparse
    import json

    from django.core.management import call_command

    parser = argparse.ArgumentParser(prog="bench.reports")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="")
    parser.add_argument("--pairs", action="store_true", help="also the pairs against hand-written SQL")
    ns = parser.parse_args()
    call_command("migrate", "--no-input", "-v", "0")
    from voronka.deals.models import Deal
    from voronka.demo.generator import build_demo

    if Deal.objects.count() < ns.size * 0.9:
        build_demo(size="custom", deals=ns.size, seed=42, reset=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rows = time_reports(ns.repeat, [k for k in ns.only.split(",") if k] or None)
    if ns.pairs:
        rows += report_ratios(ns.repeat)
    print(json.dumps({"vendor": connection.vendor, "deals": Deal.objects.count(), "reports": rows}, indent=1))


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    django.setup()
    main()
