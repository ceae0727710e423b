"""Revenue by cash (payments received, by payment date) in the revenue, average-check and plan-fact reports,
and the NPS report: the same figures as an independent computation over the stored rows, in scope, with
drill-down links that lead to a deal list of exactly that many deals."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from django.conf import settings
from django.utils import timezone, translation

from tests.analytics.oracle import _visible
from tests.factories import make_client, make_deal
from voronka.analytics.engine import run_report
from voronka.billing.models import Payment, Survey
from voronka.billing.services import create_invoice, record_payment
from voronka.catalog.models import Product
from voronka.core.errors import DomainError
from voronka.deals.services import win_deal
from voronka.plans.services import set_plan

pytestmark = pytest.mark.django_db
D = Decimal
PERIOD = {"from": "2026-03-01", "to": "2026-04-30"}
TZ = timezone.get_fixed_timezone(180)


@pytest.fixture
def book(world, requisites):
    """Deals of three managers in two pipelines with payments in and out of the period and answered surveys."""
    other = Product.objects.create(name="Поддержка", price=D("100"))
    specs = [  # owner, pipeline, product, amount, currency, payments (date, amount), survey score (day)
        (world.owner, world.pipeline, world.product, "1000", "RUB", [("2026-02-27", "100"), ("2026-03-05", "300")],
         (10, "2026-03-10")),
        (world.owner, world.other_pipeline, other, "2000", "RUB", [("2026-03-31", "2000")], (6, "2026-04-02")),
        (world.teammate, world.pipeline, other, "700", "RUB", [("2026-04-01", "200"), ("2026-04-30", "500")],
         (8, "2026-04-30")),
        (world.teammate, world.pipeline, world.product, "50", "USD", [("2026-03-15", "50")], (9, "2026-03-15")),
        (world.outsider, world.pipeline, world.product, "900", "RUB", [("2026-03-20", "900")], (0, "2026-03-21")),
        (world.owner, world.pipeline, other, "400", "RUB", [("2026-05-01", "400")], (3, "2026-05-01")),
    ]
    deals = []
    for owner, pipeline, product, amount, currency, payments, (score, day) in specs:
        deal = make_deal(owner, pipeline, client=make_client(owner),
                         values={"amount": amount, "currency": currency, "product": product.pk,
                                 "expected_close_date": "2030-01-01"})
        deal = win_deal(actor=owner, deal=deal)
        invoice = create_invoice(actor=owner, deal=deal)
        for paid_on, value in payments:
            record_payment(actor=owner, invoice=invoice, amount=value, paid_on=paid_on)
        at = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12, 0), tzinfo=TZ)
        Survey.objects.create(deal=deal, email="x@example.ru", token_hash=f"{deal.pk:064d}", sent_at=at,
                              answered_at=at, score=score)
        deals.append(deal)
    Survey.objects.create(deal=make_deal(world.owner, world.pipeline), token_hash="f" * 64)  # not answered
    return deals


def _in(day: dt.date, params) -> bool:
    return dt.date.fromisoformat(params["from"]) <= day <= dt.date.fromisoformat(params["to"])


def _cash_oracle(actor, by: str, params=PERIOD, base_only=False):
    """(slice value, month, currency) → (Σ payments, deals paid for), in plain Python."""
    sums: dict[tuple, Decimal] = defaultdict(D)
    deals: dict[tuple, set] = defaultdict(set)
    for p in Payment.objects.select_related("invoice__deal__owner"):
        deal = p.invoice.deal
        if not _visible(actor, deal.owner) or not _in(p.paid_on, params):
            continue
        if base_only and p.invoice.currency != settings.VORONKA_DEFAULT_CURRENCY:
            continue
        value = {"manager": deal.owner_id, "product": deal.product_id, "pipeline": deal.pipeline_id}[by]
        key = (value, p.paid_on.replace(day=1), p.invoice.currency)
        sums[key] += p.amount
        deals[key].add(deal.pk)
    return {k: (v, len(deals[k])) for k, v in sums.items()}


@pytest.mark.parametrize("by", ["manager", "product", "pipeline"])
@pytest.mark.parametrize("who", ["head", "owner", "lead"])
def test_cash_revenue_matches_an_independent_sum_of_payments(world, book, by, who):
    actor = getattr(world, who)
    result = run_report(actor=actor, name="revenue", params={**PERIOD, "by": f"{by},month", "revenue": "cash"})
    got = {(r[f"{by}_id"], r["month"], r["currency"]): (r["revenue"], r["deals"]) for r in result.rows}
    assert got == _cash_oracle(actor, by)
    assert got  # not empty
    assert result.as_dict()["params"]["revenue"] == "cash"
    with translation.override("en"):
        labels = [str(c.label) for c in result.columns]
    assert "cash received" in labels and "won deals" not in labels


def test_avg_check_by_cash_is_cash_per_deal_paid_for_and_won_stays_the_default(world, book):
    rows = run_report(actor=world.head, name="avg-check", params={**PERIOD, "by": "manager",
                                                                   "revenue": "cash"}).rows
    mine = next(r for r in rows if r["manager_id"] == world.owner.pk and r["currency"] == "RUB")
    assert (mine["revenue"], mine["deals"], mine["avg_check"]) == (D("2300.00"), 2, D("1150.00"))
    won = run_report(actor=world.head, name="avg-check", params={"by": "manager"}).rows
    mine = next(r for r in won if r["manager_id"] == world.owner.pk and r["currency"] == "RUB")
    assert (mine["revenue"], mine["deals"]) == (D("3400.00"), 3)  # won deals' amounts: 1000 + 2000 + 400


def test_revenue_basis_is_validated(world, book):
    with pytest.raises(DomainError) as exc:
        run_report(actor=world.head, name="revenue", params={"revenue": "accrual"})
    assert exc.value.field == "revenue"
    with pytest.raises(DomainError) as exc:
        run_report(actor=world.head, name="win-rate", params={"revenue": "cash"})
    assert exc.value.field == "revenue"


def test_plan_fact_shows_won_and_cash_and_measures_done_by_the_chosen_basis(world, book):
    set_plan(actor=world.head, month="2026-03", user=world.owner, target_amount="4000")
    params = {**PERIOD, "by": "manager"}
    won = run_report(actor=world.head, name="plan-fact", params=params)
    assert "cash_amount" in [c.key for c in won.columns]
    cash = _cash_oracle(world.head, "manager", base_only=True)
    got = {(r["manager_id"], r["month"]): r["cash_amount"] for r in won.rows if r["cash_amount"]}
    assert got == {(m, month): s for (m, month, _c), (s, _n) in cash.items()}
    march = next(r for r in won.rows if r["manager_id"] == world.owner.pk and r["month"] == dt.date(2026, 3, 1))
    # the deals were won "now" (December), so March has no won revenue but 2300 received
    assert (march["fact_amount"], march["cash_amount"], march["done_pct"]) == (D("0.00"), D("2300.00"), 0.0)
    by_cash = run_report(actor=world.head, name="plan-fact", params={**params, "revenue": "cash"})
    march = next(r for r in by_cash.rows if r["manager_id"] == world.owner.pk and r["month"] == dt.date(2026, 3, 1))
    assert march["done_pct"] == 57.5  # 2300 / 4000
    mine = run_report(actor=world.owner, name="plan-fact", params=params)
    assert {r["manager_id"] for r in mine.rows} == {world.owner.pk}


def _nps_oracle(actor, by: str, params=PERIOD):
    scores: dict[tuple, list[int]] = defaultdict(list)
    for s in Survey.objects.select_related("deal__owner").filter(answered_at__isnull=False):
        day = timezone.localtime(s.answered_at).date()
        if not _visible(actor, s.deal.owner) or not _in(day, params):
            continue
        value = {"manager": s.deal.owner_id, "product": s.deal.product_id, "pipeline": s.deal.pipeline_id,
                 "month": day.replace(day=1)}[by]
        scores[value].append(s.score)
    out = {}
    for key, values in scores.items():
        pro, det = sum(v >= 9 for v in values), sum(v <= 6 for v in values)
        nps = Fraction(100 * (pro - det), len(values))
        out[key] = (len(values), pro, len(values) - pro - det, det, round(float(nps), 2))
    return out


@pytest.mark.parametrize("by", ["manager", "product", "pipeline", "month"])
@pytest.mark.parametrize("who", ["head", "owner", "lead"])
def test_nps_matches_an_independent_count(world, book, by, who):
    actor = getattr(world, who)
    rows = run_report(actor=actor, name="nps", params={**PERIOD, "by": by}).rows
    key = by if by == "month" else f"{by}_id"
    got = {r[key]: (r["answers"], r["promoters"], r["passives"], r["detractors"], r["nps"]) for r in rows}
    assert got == _nps_oracle(actor, by)
    assert got


def test_nps_of_the_whole_period_and_in_a_pipeline(world, book):
    [row] = run_report(actor=world.head, name="nps", params={**PERIOD, "by": ""}).rows
    # 10, 6, 8, 9, 0 → 2 promoters, 2 detractors of 5
    assert (row["answers"], row["promoters"], row["detractors"], row["nps"]) == (5, 2, 2, 0.0)
    assert (row["promoters_pct"], row["detractors_pct"], row["avg_score"]) == (40.0, 40.0, 6.6)
    [row] = run_report(actor=world.head, name="nps", params={**PERIOD, "by": "", "pipeline": "outreach"}).rows
    assert (row["answers"], row["nps"]) == (1, -100.0)


LINK = re.compile(r'<a href="(/deals/\?[^"]+)" data-drill="(\w+)">([^<]+)</a>')
COUNT = re.compile(r'aria-live="polite">\s*([\d\s\u00a0]+)\D')


@pytest.mark.parametrize(("name", "params", "linked"), [
    ("nps", {**PERIOD, "by": "manager"}, {"answers", "promoters", "detractors"}),
    ("nps", {**PERIOD, "by": "product,month"}, {"answers"}),
    ("revenue", {**PERIOD, "by": "manager,month", "revenue": "cash"}, {"deals"}),
    ("avg-check", {**PERIOD, "by": "pipeline", "revenue": "cash"}, {"deals"}),
])
def test_drill_links_lead_to_that_many_deals(world, book, client, name, params, linked):
    client.force_login(world.head)
    page = client.get(f"/reports/{name}/", params)
    assert page.status_code == 200
    links = [(url.replace("&amp;", "&"), key, int(re.sub(r"\D", "", text)))
             for url, key, text in LINK.findall(page.content.decode())]
    assert linked <= {key for _u, key, _n in links}
    followed = 0
    for url, key, number in links:
        if key == "revenue":
            continue
        listed = client.get(url)
        assert int(re.sub(r"\D", "", COUNT.search(listed.content.decode()).group(1))) == number, (key, url)
        followed += 1
    assert followed and sum(n for _u, _k, n in links) > 0


def test_the_report_page_offers_the_revenue_basis(world, book, client):
    client.force_login(world.head)
    html = client.get("/reports/revenue/", {**PERIOD, "revenue": "cash"}).content.decode()
    assert 'name="revenue"' in html and 'value="cash" selected' in html
    assert 'name="revenue"' not in client.get("/reports/win-rate/", PERIOD).content.decode()


def test_the_cli_and_the_api_take_the_revenue_basis(world, book, capsys):
    import json

    from tests.api.conftest import ApiClient
    from voronka.accounts.services import create_api_token
    from voronka.cli import main

    assert main(["report", "revenue", "--from", PERIOD["from"], "--to", PERIOD["to"], "--by", "manager",
                 "--revenue", "cash", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["params"]["revenue"] == "cash"
    mine = [r for r in out["rows"] if r["manager_id"] == world.owner.pk and r["currency"] == "RUB"]
    assert [(float(r["revenue"]), r["deals"]) for r in mine] == [(2300.0, 2)]
    assert main(["report", "win-rate", "--revenue", "cash"]) == 2
    _token, raw = create_api_token(actor=world.head, name="t", scope="read")
    body = ApiClient(raw).get("reports/nps", {**PERIOD, "by": "pipeline"}).json()
    assert {r["pipeline_id"]: r["answers"] for r in body["rows"]} == {world.pipeline.pk: 4,
                                                                    world.other_pipeline.pk: 1}
    cash = ApiClient(raw).get("reports/revenue", {**PERIOD, "by": "", "revenue": "cash"}).json()
    assert cash["params"]["revenue"] == "cash"


@pytest.mark.parametrize(("name", "params"), [
    ("nps", {**PERIOD, "by": "manager,month"}),
    ("revenue", {**PERIOD, "by": "product,month", "revenue": "cash"}),
    ("avg-check", {**PERIOD, "by": "pipeline", "revenue": "cash"}),
    ("plan-fact", {**PERIOD, "by": "manager", "revenue": "cash"}),
])
def test_a_fixed_number_of_queries_whatever_the_data(world, book, name, params, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        run_report(actor=world.head, name=name, params=params)
    for n in range(3):  # more deals, payments and answers
        deal = make_deal(world.teammate, world.other_pipeline, client=make_client(world.teammate),
                         values={"amount": "100", "expected_close_date": "2030-01-01"})
        invoice = create_invoice(actor=world.teammate, deal=win_deal(actor=world.teammate, deal=deal))
        record_payment(actor=world.teammate, invoice=invoice, amount="50", paid_on=f"2026-04-0{n + 1}")
        at = dt.datetime(2026, 4, n + 1, 12, 0, tzinfo=TZ)
        Survey.objects.create(deal=deal, token_hash=f"{n:063d}x", answered_at=at, score=n * 4)
    with django_assert_max_num_queries(len(first.captured_queries)):
        run_report(actor=world.head, name=name, params=params)
    assert len(first.captured_queries) <= 8
