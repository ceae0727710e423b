"""Sales plans: the services (scope, audit, bad input), the plan grid page, and plan-fact on the page, the CLI
and at two data sizes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from tests.factories import make_deal
from voronka.analytics.engine import run_report
from voronka.cli import main
from voronka.deals.models import Deal
from voronka.deals.services import win_deal
from voronka.plans.services import set_plan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Some tests read English messages and labels: pages, the CLI and services speak the installation's
    language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _won_deals(world, n: int):
    for i in range(n):
        deal = make_deal(world.owner if i % 2 else world.teammate, world.pipeline,
                         values={"amount": 1000 + i, "expected_close_date": "2099-12-31"})
        if i % 3:
            win_deal(actor=deal.owner, deal=deal)


def test_plan_fact_runs_a_constant_number_of_queries(world):
    today = timezone.localdate()
    counts = []
    for n in (3, 12):
        _won_deals(world, n)
        set_plan(actor=world.head, month=today, user=world.owner, target_amount=str(1000 * n))
        set_plan(actor=world.head, month=today, team=world.team, target_count=n)
        lead, head = (type(u).objects.get(pk=u.pk) for u in (world.lead, world.head))  # fresh, as per request
        with CaptureQueriesContext(connection) as ctx:
            rows = run_report(actor=lead, name="plan-fact", params={}).rows
            run_report(actor=head, name="plan-fact", params={"by": "team"})
        assert rows
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_cli_prints_plan_fact_as_json(world, capsys):
    _won_deals(world, 3)
    set_plan(actor=world.head, month=timezone.localdate(), user=world.owner, target_amount="5000", target_count=2)
    assert main(["report", "plan-fact", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["report"] == "plan-fact" and data["params"]["by"] == ["manager"]
    owner = next(r for r in data["rows"] if r["manager_id"] == world.owner.pk)
    assert owner["plan_amount"] == 5000 and owner["plan_count"] == 2
    assert set(owner) == {"month", "manager_id", "manager", "plan_amount", "fact_amount", "done_pct", "plan_count",
                          "fact_count", "count_done_pct", "forecast_amount", "forecast_count"}
    assert main(["report", "plan-fact", "--by", "team", "--as", "owner", "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["report", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "plan-fact:" in listed and "crm-order:" in listed and "forecast_amount" in listed
    assert main(["report", "plan-fact", "--by", "product"]) == 2
    assert "cannot be grouped by" in capsys.readouterr().err


def test_the_report_page_renders_and_links_to_the_grid(client, world):
    _won_deals(world, 3)
    set_plan(actor=world.head, month=timezone.localdate(), user=world.owner, target_amount="5000")
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


# --- services -------------------------------------------------------------------------------------------------

def test_who_may_set_plans_for_whom(world):
    from voronka.core.errors import Forbidden
    from voronka.plans.selectors import can_plan

    month = "2026-11"
    assert set_plan(actor=world.lead, month=month, user=world.owner, target_amount="1000")  # his team's member
    assert set_plan(actor=world.lead, month=month, team=world.team, target_count="5")  # his team
    for actor, kwargs in ((world.lead, {"user": world.outsider}), (world.lead, {"team": world.other_team}),
                          (world.owner, {"user": world.owner}), (world.analyst, {"user": world.owner})):
        with pytest.raises(Forbidden):
            set_plan(actor=actor, month=month, target_amount="1", **kwargs)
    assert set_plan(actor=world.head, month=month, user=world.outsider, target_amount="1")
    assert set_plan(actor=world.admin, month=month, team=world.other_team, target_amount="1")
    assert [can_plan(u) for u in (world.owner, world.analyst, world.lead, world.head, world.admin)] == \
        [False, False, True, True, True]


def test_setting_changing_and_deleting_a_plan_is_audited(world):
    from voronka.audit.models import AuditEntry
    from voronka.plans.models import SalesPlan
    from voronka.plans.services import delete_plan

    plan = set_plan(actor=world.lead, month="2026-11-17", user=world.owner, target_amount="1 500,5")
    assert plan.month == dt.date(2026, 11, 1) and str(plan.target_amount) == "1500.50" and plan.target_count is None
    again = set_plan(actor=world.lead, month="2026-11", user=world.owner, target_amount="2000", target_count="3")
    assert again.pk == plan.pk and SalesPlan.objects.count() == 1
    entries = AuditEntry.objects.filter(object_type="plans.SalesPlan", object_id=str(plan.pk))
    assert {(e.action, e.field, e.new) for e in entries} >= {("plan.set", "target_amount", "1500.50"),
                                                            ("plan.set", "target_amount", "2000.00"),
                                                            ("plan.set", "target_count", "3")}
    assert set_plan(actor=world.lead, month="2026-11", user=world.owner) is None  # both empty: removed
    assert not SalesPlan.objects.exists()
    assert entries.filter(action="plan.deleted").exists()
    plan = set_plan(actor=world.head, month="2026-11", team=world.team, target_count=1)
    delete_plan(actor=world.head, plan=plan)
    assert not SalesPlan.objects.exists()


@pytest.mark.parametrize("amount, count, field", [
    ("-5", "", "target_amount"), ("1e30", "", "target_amount"), ("99999999999999999", "", "target_amount"),
    ("abc", "", "target_amount"), ("١٢٣", "", "target_amount"), ("", "-1", "target_count"),
    ("", "1.5", "target_count"), ("", "9999999999", "target_count"), ("", "two", "target_count"),
])
def test_bad_targets_are_field_errors(world, amount, count, field):
    from voronka.core.errors import DomainError
    from voronka.plans.models import SalesPlan

    with pytest.raises(DomainError) as exc:
        set_plan(actor=world.head, month="2026-11", user=world.owner, target_amount=amount, target_count=count)
    assert exc.value.field == field
    assert not SalesPlan.objects.exists()


def test_bad_month_and_subject_are_field_errors(world):
    from voronka.core.errors import DomainError

    for month in ("2026-13", "nope", "", "1899-01"):
        with pytest.raises(DomainError) as exc:
            set_plan(actor=world.head, month=month, user=world.owner, target_amount="1")
        assert exc.value.field == "month"
    with pytest.raises(DomainError) as exc:
        set_plan(actor=world.head, month="2026-11", user=world.owner, team=world.team, target_amount="1")
    assert exc.value.field == "subject"


def test_the_database_keeps_one_subject_and_one_plan_per_month_subject_and_pipeline(world):
    from django.db import IntegrityError

    from voronka.plans.models import SalesPlan

    month = dt.date(2026, 11, 1)
    for bad in ({"user": world.owner, "team": world.team, "target_count": 1},  # two subjects
                {"target_count": 1},  # none
                {"user": world.owner},  # no target
                {"user": world.owner, "target_amount": -1}):  # negative
        with pytest.raises(IntegrityError), transaction.atomic():
            SalesPlan.objects.create(month=month, **bad)
    SalesPlan.objects.create(month=month, user=world.owner, target_count=1)
    SalesPlan.objects.create(month=month, user=world.owner, pipeline=world.pipeline, target_count=1)
    SalesPlan.objects.create(month=month, team=world.team, target_count=1)
    for kwargs in ({"user": world.owner}, {"user": world.owner, "pipeline": world.pipeline}, {"team": world.team}):
        with pytest.raises(IntegrityError), transaction.atomic():
            SalesPlan.objects.create(month=month, target_count=2, **kwargs)


# --- the plan grid --------------------------------------------------------------------------------------------

def test_the_grid_lists_what_a_lead_may_plan_and_saves_it(client, world):
    from voronka.plans.models import SalesPlan

    client.force_login(world.lead)
    with translation.override("en"):
        html = client.get("/reports/plans/?month=2026-11", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'name="u{world.owner.pk}-amount"' in html and f'name="t{world.team.pk}-count"' in html
    assert f'name="u{world.outsider.pk}-amount"' not in html and f'name="t{world.other_team.pk}-count"' not in html
    response = client.post("/reports/plans/", {"month": "2026-11", "pipeline": "inbound",
                                               f"u{world.owner.pk}-amount": "150 000", f"u{world.owner.pk}-count": "",
                                               f"t{world.team.pk}-count": "7"})
    assert response.status_code == 302 and "month=2026-11" in response["Location"]
    plans = {(p.user_id, p.team_id): p for p in SalesPlan.objects.all()}
    assert plans[(world.owner.pk, None)].target_amount == 150000 and plans[(world.owner.pk, None)].pipeline == \
        world.pipeline
    assert plans[(None, world.team.pk)].target_count == 7 and len(plans) == 2
    html = client.get("/reports/plans/?month=2026-11&pipeline=inbound").content.decode()
    assert 'value="150000"' in html and 'value="7"' in html
    assert 'value="150000"' not in client.get("/reports/plans/?month=2026-11").content.decode()  # other pipeline


@pytest.mark.parametrize("value", ["-1", "1e99", "99999999999999999999", "abc", "12,34,56"])
def test_a_bad_cell_is_a_field_error_and_nothing_is_saved(client, world, value):
    from voronka.plans.models import SalesPlan

    client.force_login(world.head)
    response = client.post("/reports/plans/", {"month": "2026-11", f"u{world.teammate.pk}-amount": "100",
                                               f"u{world.owner.pk}-amount": value,
                                               f"u{world.outsider.pk}-count": value})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-field="u{world.owner.pk}-amount"' in html and f'data-field="u{world.outsider.pk}-count"' in html
    assert f'data-field="u{world.teammate.pk}-amount"' not in html
    assert not SalesPlan.objects.exists()


def test_the_grid_refuses_managers_and_bad_parameters(client, world):
    client.force_login(world.owner)
    assert client.get("/reports/plans/").status_code == 403
    assert client.post("/reports/plans/", {"month": "2026-11"}).status_code == 403
    client.force_login(world.head)
    assert client.get("/reports/plans/?month=2026-99").status_code == 400
    assert client.get("/reports/plans/?pipeline=nowhere").status_code == 400
    client.logout()
    assert client.get("/reports/plans/").status_code == 302


def test_the_grid_runs_a_constant_number_of_queries(client, world):
    from tests.factories import make_user

    client.force_login(world.head)
    counts = []
    for n in (2, 8):
        for i in range(n):
            user = make_user(f"seller{n}_{i}", team=world.team)
            set_plan(actor=world.head, month="2026-11", user=user, target_amount=str(i + 1))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/reports/plans/?month=2026-11").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_concurrent_twin_of_a_new_plan_is_a_conflict_not_a_500(world, monkeypatch):
    from voronka.core.errors import Conflict
    from voronka.plans import services
    from voronka.plans.models import SalesPlan

    SalesPlan.objects.create(month=dt.date(2026, 11, 1), user=world.owner, target_count=1)
    real = SalesPlan.objects.select_for_update

    class Blind:  # the other transaction's row is not visible yet when we look
        def filter(self, **kwargs):
            return SalesPlan.objects.none()

    monkeypatch.setattr(SalesPlan.objects, "select_for_update", lambda: Blind())
    with pytest.raises(Conflict):
        services.set_plan(actor=world.head, month="2026-11", user=world.owner, target_count="2")
    monkeypatch.setattr(SalesPlan.objects, "select_for_update", real)
    assert SalesPlan.objects.get().target_count == 1


def test_the_forecast_by_hand(world):
    """P(received) = 2 won of the 4 closed deals that reached it; P(qualified) = 2 of 3; P(proposal) = 1 of 1.
    Forecast = 2 000 (won this month) + 1 000 × 1/2 + 3 000 × 2/3 = 4 500.00; deals: 2 + 1/2 + 2/3 = 3.17."""
    from voronka.deals.services import lose_deal, move_deal

    stages = {s.slug: s for s in world.pipeline.stages.all()}
    values = {"amount": 1000, "expected_close_date": timezone.localdate().isoformat()}  # this month

    def deal(stage=None, amount=1000):
        d = make_deal(world.owner, world.pipeline, values={**values, "amount": amount})
        return move_deal(actor=world.owner, deal=d, stage=stages[stage]) if stage else d

    win_deal(actor=world.owner, deal=deal("proposal"))  # reached received, qualified, proposal; won
    back = deal("qualified")
    back = move_deal(actor=world.owner, deal=back, stage=stages["received"])  # a backward move keeps "reached"
    win_deal(actor=world.owner, deal=back)
    lose_deal(actor=world.owner, deal=deal("qualified"), reason=world.reason)
    lose_deal(actor=world.owner, deal=deal(), reason=world.reason)
    deal()  # open on "received"
    deal("qualified", amount=3000)  # open on "qualified"
    # Expected to close in another month, or without a date: no part of this month's forecast.
    later = deal("qualified", amount=50000)
    Deal.objects.filter(pk=later.pk).update(expected_close_date=timezone.localdate() + dt.timedelta(days=40))
    undated = deal(amount=70000)
    Deal.objects.filter(pk=undated.pk).update(expected_close_date=None)
    make_deal(world.teammate, world.other_pipeline,  # a stage no closed deal reached: P = 0
              values={"expected_close_date": timezone.localdate().isoformat()})
    set_plan(actor=world.head, month=timezone.localdate(), user=world.owner, target_amount="7000", target_count=4)
    result = run_report(actor=world.head, name="plan-fact", params={})
    rows = {r["manager_id"]: r for r in result.rows}
    owner = rows[world.owner.pk]
    assert (owner["fact_count"], owner["fact_amount"]) == (2, 2000)
    assert owner["forecast_amount"] == 4500 and owner["forecast_count"] == 3.17
    assert owner["done_pct"] == 28.57 and owner["count_done_pct"] == 50.0
    assert rows[world.teammate.pk]["forecast_amount"] == 0 and rows[world.teammate.pk]["plan_amount"] is None
    probability = {p["stage_id"]: p for p in result.as_dict()["params"]["win_probability"]}
    assert (probability[stages["received"].pk]["reached_won"], probability[stages["received"].pk]["reached_closed"]) \
        == (2, 4)
    assert probability[stages["qualified"].pk]["probability"] == 0.6667


def test_the_admin_lists_plans_read_only(client, world):
    set_plan(actor=world.head, month="2026-11", user=world.owner, target_amount="1")
    client.force_login(world.admin)
    assert client.get("/admin/plans/salesplan/").status_code == 200
    assert client.get("/admin/plans/salesplan/add/").status_code == 403
