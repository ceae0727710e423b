"""The Maven CRM sample imports completely through the CLI; counts and sums match an independent csv reading."""

import csv
import json
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Count, Sum
from django.utils.timezone import localdate

from tests.factories import make_user
from voronka.accounts.models import Role, Team, User
from voronka.catalog.models import Industry, Product
from voronka.cli import main
from voronka.clients.models import Client
from voronka.deals.models import Deal, StageTransition
from voronka.imports.models import ImportBatch

DATA = Path("/work/shared/datasets/maven-crm")
MAPPINGS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "maven-crm"
pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not DATA.is_dir(), reason="maven-crm data set not here")]


def _rows(name):
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _import(kind, file, mapping, capsys):
    code = main(["import", kind, str(DATA / file), "--mapping", str(MAPPINGS / mapping), "--as", "admin"])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    return json.loads(out[out.index("{"):])


def test_the_whole_set_imports_with_its_quirks_reported(capsys):
    make_user("admin", role=Role.ADMIN)
    users = _import("users", "sales_teams.csv", "users.yaml", capsys)
    _import("products", "products.csv", "products.yaml", capsys)
    accounts = _import("clients", "accounts.csv", "accounts.yaml", capsys)
    deals = _import("deals", "sales_pipeline.csv", "opportunities.yaml", capsys)

    teams, pipeline, account_rows = _rows("sales_teams.csv"), _rows("sales_pipeline.csv"), _rows("accounts.csv")
    agents = {r["sales_agent"] for r in teams}
    managers = {r["manager"] for r in teams}
    assert users["counts"]["created"]["users"] == len(agents | managers)
    assert set(Team.objects.values_list("name", flat=True)) == {r["regional_office"] for r in teams}
    assert User.objects.filter(role=Role.LEAD).count() == len(managers)
    assert any(w["code"].startswith("second_lead") for w in users["report"]["warnings"])
    assert Product.objects.count() == 7

    # accounts: the misspelt sector is fixed by the mapping's value map, and the report says how often
    assert Client.objects.exclude(name__startswith="Maven:").count() == len(account_rows)
    assert accounts["report"]["value_maps"]["industry"] == {
        "technolgy → technology": sum(r["sector"] == "technolgy" for r in account_rows)}
    assert not Industry.objects.filter(name="technolgy").exists()
    acme = Client.objects.get(name="Acme Corporation")
    assert acme.industry.name == "technology" and acme.custom["employees"] == "2822"

    # deals: counts per status, won sums per agent, against Python's csv module over the same file
    assert deals["status"] == "applied" and deals["rows"] == len(pipeline) == Deal.objects.count()
    by_stage = Counter(r["deal_stage"] for r in pipeline)
    status = dict(Deal.objects.values_list("status").annotate(n=Count("id")))
    assert status == {"won": by_stage["Won"], "lost": by_stage["Lost"],
                      "open": by_stage["Prospecting"] + by_stage["Engaging"]}
    expected = defaultdict(Decimal)
    for r in pipeline:
        if r["deal_stage"] == "Won":
            expected[r["sales_agent"]] += Decimal(r["close_value"])
    got = {f"{first} {last}": total for first, last, total in Deal.objects.filter(status="won")
           .values_list("owner__first_name", "owner__last_name").annotate(s=Sum("amount"))}
    assert got == dict(expected)
    assert Deal.objects.filter(status="won", closed_at__isnull=False).count() == by_stage["Won"]

    # the stage log: one "created" row per deal, one close row per closed deal, at the given dates
    assert StageTransition.objects.filter(kind="created").count() == len(pipeline)
    assert StageTransition.objects.filter(kind__in=["won", "lost"]).count() == by_stage["Won"] + by_stage["Lost"]
    first = pipeline[0]
    deal = Deal.objects.get(custom__maven_id=first["opportunity_id"])
    assert localdate(deal.created_at).isoformat() == first["engage_date"]
    assert localdate(deal.closed_at).isoformat() == first["close_date"]

    # quirks: GTXPro mapped explicitly, deals without an account on a placeholder, empty engage dates
    report = deals["report"]
    assert report["value_maps"]["product"] == {"GTXPro → GTX Pro": sum(r["product"] == "GTXPro" for r in pipeline)}
    warnings = {w["code"]: w for w in report["warnings"]}
    assert warnings["placeholder_client"]["count"] == sum(not r["account"] for r in pipeline)
    assert warnings["empty_created_at"]["count"] == sum(not r["engage_date"] for r in pipeline)
    assert Deal.objects.filter(client__name="Maven: no account in source").count() == sum(
        not r["account"] for r in pipeline)
    # new vs current client (DESIGN §5): created after the account's first win = a current client's deal
    first_win = {}
    for r in pipeline:
        if r["deal_stage"] == "Won":
            first_win[r["account"]] = min(first_win.get(r["account"], "9999"), r["close_date"])
    current = sum(1 for r in pipeline if r["account"] in first_win
                  and (r["engage_date"] or "9999-12-31") > first_win[r["account"]])
    assert Deal.objects.filter(is_new_client=False).count() == current
    # invariant 1: every open deal has an open task
    assert not Deal.objects.filter(status="open").exclude(tasks__status="open").exists()

    # undo the deals batch: everything it created goes, the earlier batches stay
    batch = ImportBatch.objects.get(kind="deals")
    assert main(["import", "--undo", str(batch.pk), "--as", "admin"]) == 0
    assert Deal.objects.count() == 0 and StageTransition.objects.count() == 0
    assert Client.objects.count() == len(account_rows)
