"""Sales plans: the services (scope, audit, bad input), the plan grid page, and plan-fact on the page, the CLI
and at two data sizes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.factories import make_deal
from voronka.analytics.engine import run_report
from voronka.cli import main
from voronka.deals.services import win_deal
from voronka.plans.services import set_plan

pytestmark = pytest.mark.django_db


def _won_deals(world, n: int):
    for i in range(n):
        deal = make_deal(world.owner if i % 2 else world.teammate, world.pipeline,
                         values={"amount": 1000 + i, "expected_close_date": "2026-12-31"})
        if i % 3:
            win_deal(actor=deal.owner, deal=deal)


def test_plan_fact_runs_a_constant_number_of_queries(world):
    today = dt.date.today()
    counts = []
    for n in (3, 12):
        _won_deals(world, n)
        set_plan(actor=world.head, month=today, user=world.owner, target_amount=str(1000 * n))
        set_plan(actor=world.head, month=today, team=world.team, target_count=n)
        with CaptureQueriesContext(connection) as ctx:
            rows = run_report(actor=world.lead, name="plan-fact", params={}).rows
            run_report(actor=world.head, name="plan-fact", params={"by": "team"})
        assert rows
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_cli_prints_plan_fact_as_json(world, capsys):
    _won_deals(world, 3)
    set_plan(actor=world.head, month=dt.date.today(), user=world.owner, target_amount="5000", target_count=2)
    assert main(["report", "plan-fact", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["report"] == "plan-fact" and data["params"]["by"] == ["manager"]
    owner = next(r for r in data["rows"] if r["manager_id"] == world.owner.pk)
    assert owner["plan_amount"] == 5000 and owner["plan_count"] == 2
    assert set(owner) == {"month", "manager_id", "manager", "plan_amount", "fact_amount", "done_pct", "plan_count",
                          "fact_count", "count_done_pct", "forecast_amount", "forecast_count"}
    assert main(["report", "plan-fact", "--by", "team", "--as", "owner", "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["report", "plan-fact", "--by", "product"]) == 2
    assert "cannot be grouped by" in capsys.readouterr().err


def test_the_report_page_renders_and_links_to_the_grid(client, world):
    _won_deals(world, 3)
    set_plan(actor=world.head, month=dt.date.today(), user=world.owner, target_amount="5000")
    client.force_login(world.head)
    with translation.override("en"):
        html = client.get("/reports/plan-fact/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-report="plan-fact"' in html and 'href="/reports/plans/"' in html
    assert 'data-key="forecast_amount"' in html
    client.force_login(world.owner)
    html = client.get("/reports/plan-fact/").content.decode()
    assert 'href="/reports/plans/"' not in html  # a manager sets no plans


def test_transaction_rollback_leaves_no_plan(world):
    from voronka.plans.models import SalesPlan

    with pytest.raises(RuntimeError), transaction.atomic():
        set_plan(actor=world.head, month="2026-10", user=world.owner, target_amount="1")
        raise RuntimeError
    assert not SalesPlan.objects.exists()
