"""Sales plans in a real browser: a lead fills the month's grid (a bad cell is marked, nothing is saved),
then Plan vs fact draws plan, fact and forecast."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_a_lead_enters_plans_and_sees_plan_vs_fact(page, live_server, e2e_data):
    from voronka.plans.models import SalesPlan

    login(page, live_server, "lead1")
    page.goto(f"{live_server.url}/reports/plan-fact/")
    page.click("a[href='/reports/plans/']")
    manager, team = e2e_data.manager.pk, e2e_data.lead.team_id
    expect(page.locator(f"input[name='u{manager}-amount']")).to_be_visible()
    expect(page.locator(f"input[name='u{e2e_data.other_manager.pk}-amount']")).to_have_count(0)  # another team
    page.fill(f"input[name='u{manager}-amount']", "300 000")
    page.fill(f"input[name='u{manager}-count']", "-2")
    page.fill(f"input[name='t{team}-amount']", "500000")
    page.click("form button[type=submit].btn-primary")
    expect(page.locator(f"[data-field='u{manager}-count']")).to_be_visible()
    assert not SalesPlan.objects.exists()
    screenshot(page, "plans-grid-error")
    page.fill(f"input[name='u{manager}-count']", "2")
    page.click("form button[type=submit].btn-primary")
    expect(page.locator(".messages")).to_be_visible()
    assert SalesPlan.objects.count() == 2
    assert_accessible(page)
    page.click("a[href^='/reports/plan-fact/']")
    expect(page.locator("#report-chart[data-chart-ready='1'] canvas")).to_be_visible()
    row = page.locator("table.report-table tbody tr").filter(has_text="Manager1")
    expect(row.locator("td[data-key=plan_count]")).to_have_text("2")
    expect(row.locator("td[data-key=fact_count]")).to_have_text("0")
    expect(row.locator("td[data-key=plan_amount]")).to_contain_text("300")
    expect(row.locator("td[data-key=forecast_amount]")).to_be_visible()
    screenshot(page, "reports-plan-fact")
    assert_accessible(page)
