"""One benchmark process: build the demo with N deals, then time the main pages (server side)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def measure(client: Client, url: str, repeat: int) -> dict:
    client.get(url)  # warm caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    times.sort()
    return {"median_ms": statistics.median(times), "p95_ms": times[max(0, int(len(times) * 0.95) - 1)],
            "queries": len(ctx.captured_queries)}


def _median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def board_totals_ratio(repeat: int) -> dict:
    """The board's per-stage count and sum (our selector, head's scope) vs the same hand-written SQL."""
    from voronka.accounts.models import User
    from voronka.deals.selectors import board
    from voronka.pipelines.selectors import get_pipeline

    head = User.objects.get(username="head")
    pipeline = get_pipeline(slug="inbound")
    sql = ("SELECT stage_id, currency, COUNT(*), SUM(amount) FROM deals_deal WHERE pipeline_id = %s "
           "AND status = 'open' GROUP BY stage_id, currency")

    def ours():
        return [(c.stage.pk, c.count, c.totals) for c in board(actor=head, pipeline=pipeline, limit=0)]

    def hand():
        with connection.cursor() as cursor:
            cursor.execute(sql, [pipeline.pk])
            return cursor.fetchall()

    expected: dict[int, int] = {}
    for stage_id, _currency, count, _sum in hand():
        expected[stage_id] = expected.get(stage_id, 0) + count
    got = {stage: count for stage, count, _total in ours() if count}
    if got != expected:
        raise SystemExit(f"board totals differ from SQL: {got} != {expected}")
    ours_ms, hand_ms = _median_ms(ours, repeat), _median_ms(hand, repeat)
    return {"name": "board column totals vs hand SQL", "ours_ms": ours_ms, "sql_ms": hand_ms,
            "ratio": ours_ms / hand_ms if hand_ms else None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true",
                        help="reuse the configured database when it holds the demo already (no regeneration)")
    parser.add_argument("--pages-only", action="store_true", help="skip the report ratios")
    ns = parser.parse_args()

    call_command("migrate", "--no-input", "-v", "0")
    from voronka.accounts.models import User
    from voronka.deals.models import Deal
    from voronka.demo.generator import build_demo

    started = time.perf_counter()
    if not (ns.keep and Deal.objects.count() >= ns.size * 0.9):
        build_demo(size="custom", deals=ns.size, seed=42, reset=ns.keep)
    generate_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # VACUUM sets the visibility map as autovacuum does on a live database: without it a fresh database
        # reads the heap where an index-only scan answers (My day's counts: 115 ms instead of 20 at 100k)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    from bench.reports import report_ratios

    ratios = [] if ns.pages_only else [board_totals_ratio(ns.repeat), *report_ratios(ns.repeat)]
    pages = []
    for username in ("manager1", "lead1", "head"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        deal = Deal.objects.filter(owner__username="manager1", status="open").order_by("id").first()
        urls = {
            "board": "/pipelines/inbound/board/",
            "deal list": "/deals/",
            "my day": "/my-day/",
        }
        if username == "manager1" and deal is not None:
            urls["deal page"] = f"/deals/{deal.pk}/"
        for name, url in urls.items():
            pages.append({"name": f"{name} ({username})", **measure(client, url, ns.repeat)})
    print(json.dumps({"deals": Deal.objects.count(), "generate_seconds": generate_seconds, "pages": pages,
                      "ratios": ratios}))


if __name__ == "__main__":
    main()
