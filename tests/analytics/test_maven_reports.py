"""The Maven CRM sample (8,800 real opportunities) as report input: win rate, revenue and cycle by agent
(manager), office (team), product and sector (industry) equal an independent computation over the CSV."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import statistics
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction

from tests.factories import make_user
from voronka.accounts.models import Role
from voronka.analytics.engine import full_scope_actor, run_report
from voronka.cli import main

DATA = Path("/work/shared/datasets/maven-crm")
MAPPINGS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "maven-crm"
pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not DATA.is_dir(), reason="maven-crm data set not here")]
# Our slice → the CSV column it comes from (sector via accounts.csv, the mapping's fix of "technolgy" applied).
SLICES = {"manager": "sales_agent", "team": "regional_office", "product": "product", "industry": "sector"}


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def maven(django_db_setup, django_db_blocker):
    """The whole set imported once through the CLI (rolled back after the module)."""
    with django_db_blocker.unblock(), transaction.atomic():
        make_user("admin", role=Role.ADMIN)
        for kind, file, mapping in (("users", "sales_teams.csv", "users.yaml"),
                                    ("products", "products.csv", "products.yaml"),
                                    ("clients", "accounts.csv", "accounts.yaml"),
                                    ("deals", "sales_pipeline.csv", "opportunities.yaml")):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = main(["import", kind, str(DATA / file), "--mapping", str(MAPPINGS / mapping), "--as", "admin"])
            assert code == 0, out.getvalue()[-2000:]
        yield
        transaction.set_rollback(True)


def _closed_rows() -> list[dict[str, str]]:
    """The closed opportunities with the columns our slices read (sector joined from accounts.csv)."""
    sector = {r["account"]: ("technology" if r["sector"] == "technolgy" else r["sector"]) for r in _rows("accounts.csv")}
    office = {r["sales_agent"]: r["regional_office"] for r in _rows("sales_teams.csv")}
    products = {"GTXPro": "GTX Pro"}
    out = []
    for r in _rows("sales_pipeline.csv"):
        if r["deal_stage"] not in ("Won", "Lost"):
            continue
        out.append({**r, "product": products.get(r["product"], r["product"]), "sector": sector.get(r["account"]),
                    "regional_office": office[r["sales_agent"]]})
    return out


def _days(r: dict[str, str]) -> float:
    return (dt.date.fromisoformat(r["close_date"]) - dt.date.fromisoformat(r["engage_date"])).days


def _expected(by: str) -> dict[str, dict[str, dict]]:
    column = SLICES[by]
    won, lost, revenue, cycle = defaultdict(int), defaultdict(int), defaultdict(Decimal), defaultdict(list)
    for r in _closed_rows():
        key = r[column]
        if r["deal_stage"] == "Won":
            won[key] += 1
            revenue[key] += Decimal(r["close_value"])
            cycle[key].append(_days(r))
        else:
            lost[key] += 1
    keys = set(won) | set(lost)
    return {
        "win-rate": {k: {"won": won[k], "lost": lost[k], "closed": won[k] + lost[k],
                         "win_rate": round(won[k] / (won[k] + lost[k]), 4)} for k in keys},
        "revenue": {k: {"deals": won[k], "revenue": revenue[k]} for k in won},
        "cycle": {k: {"deals": len(v), "mean_days": round(statistics.fmean(v), 4),
                      "median_days": round(statistics.median(v), 4)} for k, v in cycle.items()},
    }


@pytest.mark.parametrize("by", list(SLICES))
def test_win_rate_revenue_and_cycle_equal_the_csv(maven, by):
    expected = _expected(by)
    actor = full_scope_actor()
    for report, columns in (("win-rate", ("won", "lost", "closed", "win_rate")), ("revenue", ("deals", "revenue")),
                            ("cycle", ("deals", "mean_days", "median_days"))):
        rows = run_report(actor=actor, name=report, params={"by": by}).rows
        if report == "revenue":
            assert {r["currency"] for r in rows} == {"USD"}
        got = {r[by]: {c: r[c] for c in columns} for r in rows}
        assert got == expected[report], (report, by, json.dumps(
            {k: (got.get(k), expected[report].get(k)) for k in set(got) | set(expected[report])
             if got.get(k) != expected[report].get(k)}, default=str)[:1500])
