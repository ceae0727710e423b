"""Revenue by cash in ``ltv``, ``campaigns`` and ``dips``: the figures equal a plain-Python computation over
the stored payments, as a head, a lead and a manager; drill-down to the deals paid for; a fixed number of
queries whatever the data."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from itertools import pairwise
from statistics import median

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.analytics.oracle import _visible
from tests.factories import make_client, make_deal
from voronka.analytics.engine import get_report, run_report
from voronka.billing.models import Payment
from voronka.billing.services import create_invoice, record_payment
from voronka.catalog.models import Campaign, Region
from voronka.deals.services import win_deal

pytestmark = pytest.mark.django_db
D = Decimal
CENT = D("0.01")
PERIOD = {"from": "2026-03-01", "to": "2026-04-30"}
WHO = ["head", "lead", "owner"]


def _deal(owner, client, amount, payments, *, currency="RUB", campaign=None, pipeline=None, world=None):
    values = {"amount": amount, "currency": currency, "expected_close_date": "2099-01-01"}
    if campaign is not None:
        values["campaign"] = campaign.pk
    head = world.head  # sees every client (a client may have deals of two managers)
    deal = make_deal(head, pipeline or world.pipeline, client=client, owner=owner, values=values)
    deal = win_deal(actor=head, deal=deal)
    invoice = create_invoice(actor=head, deal=deal)
    for paid_on, value in payments:
        record_payment(actor=head, invoice=invoice, amount=value, paid_on=paid_on)
    return deal


@pytest.fixture
def cash_book(world, requisites):
    """Clients in two regions (one with deals of two managers), deals of two campaigns, payments in and out of
    the period, a dollar invoice (not counted: amounts are in the base currency)."""
    kazan = Region.objects.create(name="Казань")
    spring = Campaign.objects.create(name="Весна", cost=D("1000.00"), channel=world.channel)
    autumn = Campaign.objects.create(name="Осень", cost=D("500.00"))
    shared = make_client(world.owner, region=world.region)
    add = dict(world=world)
    _deal(world.owner, shared, "1000", [("2026-02-20", "100"), ("2026-03-03", "300"), ("2026-03-10", "600")],
          campaign=spring, **add)
    _deal(world.teammate, shared, "800", [("2026-03-04", "800")], campaign=autumn, **add)
    _deal(world.owner, make_client(world.owner, region=kazan), "2000", [("2026-03-24", "1500"), ("2026-04-14", "50")],
          campaign=spring, pipeline=world.other_pipeline, **add)
    _deal(world.teammate, make_client(world.teammate, region=kazan), "700",
          [("2026-03-17", "700")], **add)
    _deal(world.teammate, make_client(world.teammate), "90", [("2026-03-31", "90")], currency="USD",
          campaign=autumn, **add)
    _deal(world.outsider, make_client(world.outsider, region=world.region), "900",
          [("2026-03-05", "900"), ("2026-04-07", "100")], campaign=spring, **add)
    _deal(world.owner, make_client(world.owner), "400", [("2026-05-02", "400")], campaign=autumn, **add)
    return world


def _payments(actor, params=None):
    """The base-currency payments on the deals the actor sees (in the period, if given)."""
    for p in Payment.objects.select_related("invoice__deal__owner", "invoice__deal__client"):
        deal = p.invoice.deal
        if p.invoice.currency != settings.VORONKA_DEFAULT_CURRENCY or not _visible(actor, deal.owner):
            continue
        if params and not (dt.date.fromisoformat(params["from"]) <= p.paid_on <= dt.date.fromisoformat(params["to"])):
            continue
        yield p, deal


# --- ltv ---------------------------------------------------------------------------------------------------

def _ltv_oracle(actor):
    per_client: dict[int, D] = defaultdict(D)
    region_of = {}
    for p, deal in _payments(actor):
        per_client[deal.client_id] += p.amount
        region_of[deal.client_id] = deal.client.region_id
    by_region: dict[int | None, list[D]] = defaultdict(list)
    for client, total in per_client.items():
        by_region[region_of[client]].append(total)
    return {region: (len(v), sum(v, D(0)).quantize(CENT), (sum(v, D(0)) / len(v)).quantize(CENT),
                     D(median(v)).quantize(CENT)) for region, v in by_region.items()}


@pytest.mark.parametrize("who", WHO)
def test_ltv_by_cash_is_the_payments_received_from_each_client(cash_book, who):
    actor = getattr(cash_book, who)
    result = run_report(actor=actor, name="ltv", params={"by": "region", "revenue": "cash"})
    got = {r["region_id"]: (r["clients"], r["revenue"], r["mean_ltv"], r["median_ltv"]) for r in result.rows}
    assert got and got == _ltv_oracle(actor)
    with translation.override("en"):
        assert "cash received" in [str(c.label) for c in result.columns]
    assert result.as_dict()["params"]["revenue"] == "cash"


def test_ltv_by_cash_differs_from_won_and_won_stays_the_default(cash_book):
    won = run_report(actor=cash_book.head, name="ltv", params={"by": ""}).rows
    cash = run_report(actor=cash_book.head, name="ltv", params={"by": "", "revenue": "cash"}).rows
    # won: 1000 + 800 + 2000 + 700 + 900 + 400 (RUB deals), 5 clients; cash: every RUB payment ever, same clients
    assert (won[0]["clients"], won[0]["revenue"]) == (5, D("5800.00"))
    assert (cash[0]["clients"], cash[0]["revenue"]) == (5, D("5450.00"))


# --- campaigns ---------------------------------------------------------------------------------------------

def _campaign_oracle(actor, params=PERIOD):
    cash: dict[int, D] = defaultdict(D)
    deals: dict[int, set] = defaultdict(set)
    for p, deal in _payments(actor, params):
        if deal.campaign_id is not None:
            cash[deal.campaign_id] += p.amount
            deals[deal.campaign_id].add(deal.pk)
    return cash, deals


@pytest.mark.parametrize("who", WHO)
def test_campaign_revenue_by_cash_is_the_payments_on_its_deals_in_the_period(cash_book, who):
    actor = getattr(cash_book, who)
    result = run_report(actor=actor, name="campaigns", params={**PERIOD, "revenue": "cash"})
    cash, _deals = _campaign_oracle(actor)
    got = {r["group_id"]: r["revenue"] for r in result.rows}
    assert got and got == {k: v.quantize(CENT) for k, v in cash.items()}
    costs = dict(Campaign.objects.values_list("pk", "cost"))
    for r in result.rows:  # ROI from the cash; the deals were won "now", so none is won in the period
        assert r["roi"] == round(float((r["revenue"] - costs[r["group_id"]]) / costs[r["group_id"]]), 4)
        assert r["won"] == 0
    assert run_report(actor=actor, name="campaigns", params=PERIOD).rows == []  # by won: nothing in March-April
    with translation.override("en"):
        assert "cash received" in [str(c.label) for c in result.columns]


def test_campaign_cash_by_channel(cash_book):
    rows = run_report(actor=cash_book.head, name="campaigns",
                      params={**PERIOD, "revenue": "cash", "mode": "channel"}).rows
    # spring (the channel): 300 + 600 + 1500 + 50 + 900 + 100
    assert {r["group_id"]: r["revenue"] for r in rows} == {cash_book.channel.pk: D("3450.00")}


# --- dips --------------------------------------------------------------------------------------------------

DIPS = {"from": "2026-03-02", "to": "2026-04-19", "mode": "week", "by": "manager", "revenue": "cash"}


def _dips_oracle(actor, params=DIPS):
    first, last = dt.date.fromisoformat(params["from"]), dt.date.fromisoformat(params["to"])
    weeks = []
    day = first - dt.timedelta(days=first.weekday())
    while day <= last:
        weeks.append(day)
        day += dt.timedelta(days=7)
    sums: dict[int, dict[dt.date, D]] = defaultdict(lambda: defaultdict(D))
    window = {"from": weeks[0].isoformat(), "to": (weeks[-1] + dt.timedelta(days=6)).isoformat()}
    for p, deal in _payments(actor, window):
        sums[deal.owner_id][p.paid_on - dt.timedelta(days=p.paid_on.weekday())] += p.amount
    out = set()
    for manager, series in sums.items():
        for before, now in pairwise(weeks):
            b, n = series.get(before, D(0)), series.get(now, D(0))
            if b > 0 and (n - b) * 100 / b <= -settings.VORONKA_DIP_THRESHOLD_PCT:
                out.add((manager, now, float(b), float(n)))
    return out


@pytest.mark.parametrize("who", WHO)
def test_cash_dips_are_the_drops_of_payments_per_week(cash_book, who):
    actor = getattr(cash_book, who)
    rows = run_report(actor=actor, name="dips", params=DIPS).rows
    assert {r["metric"] for r in rows} <= {"cash_received"}  # the deals were created and won "now"
    got = {(r["manager_id"], r["period"], r["previous"], r["current"]) for r in rows}
    assert got and got == _dips_oracle(actor)
    assert not any(r["metric"] == "won_revenue" for r in rows)


# --- drill-down and queries --------------------------------------------------------------------------------

COUNT = re.compile(r'aria-live="polite">\s*([\d\s\u00a0]+)\D')


def _listed(client, url) -> int:
    return int(re.sub(r"\D", "", COUNT.search(client.get(url).content.decode()).group(1)))


def test_cash_drill_links_go_to_the_deals_paid_for(cash_book, client):
    head = cash_book.head
    client.force_login(head)
    report = get_report("campaigns")
    result = run_report(actor=head, name="campaigns", params={**PERIOD, "revenue": "cash"})
    _cash, deals = _campaign_oracle(head)
    for row, links in zip(result.rows, report.drills(result.params, result.rows), strict=True):
        assert "paid_from=2026-03-01" in links["revenue"] and "paid_to=2026-04-30" in links["revenue"]
        assert _listed(client, links["revenue"]) == len(deals[row["group_id"]])
    report = get_report("dips")
    result = run_report(actor=head, name="dips", params=DIPS)
    for row, links in zip(result.rows, report.drills(result.params, result.rows), strict=True):
        week_end = row["period"] + dt.timedelta(days=6)
        paid = {deal.pk for p, deal in _payments(head, {"from": row["period"].isoformat(),
                                                        "to": week_end.isoformat()})
                if deal.owner_id == row["manager_id"]}
        assert f"paid_from={row['period'].isoformat()}" in links["current"]
        assert _listed(client, links["current"]) == len(paid)


@pytest.mark.parametrize(("name", "params", "sizes"), [
    ("ltv", {"by": "region", "revenue": "cash"}, (3, 10)),
    ("campaigns", {**PERIOD, "revenue": "cash"}, (2, 9)),
    ("dips", DIPS, None),
])
def test_a_fixed_number_of_queries_whatever_the_data(cash_book, name, params, sizes):
    world = cash_book
    with CaptureQueriesContext(connection) as first:
        before = run_report(actor=world.head, name=name, params=params).rows
    for n in range(7):  # more regions, campaigns, clients, deals and payments
        region = Region.objects.create(name=f"Регион {n}")
        campaign = Campaign.objects.create(name=f"Кампания {n}", cost=D("10"))
        owner = [world.owner, world.teammate, world.outsider][n % 3]
        _deal(owner, make_client(owner, region=region), "100", [(f"2026-03-0{n + 2}", "100")],
              campaign=campaign, world=world)
    with CaptureQueriesContext(connection) as second:
        after = run_report(actor=world.head, name=name, params=params).rows
    assert len(second.captured_queries) == len(first.captured_queries) <= 8
    if sizes:
        assert (len(before), len(after)) == sizes


@pytest.mark.parametrize(("name", "params"), [
    ("ltv", {"revenue": "cash"}), ("campaigns", {**PERIOD, "revenue": "cash"}), ("dips", DIPS)])
def test_the_report_pages_offer_the_cash_basis(cash_book, client, name, params):
    client.force_login(cash_book.head)
    with translation.override("ru"):
        html = client.get(f"/reports/{name}/", params, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'name="revenue"' in html and 'value="cash" selected' in html
