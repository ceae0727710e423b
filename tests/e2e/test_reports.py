"""Reports in a real browser: the ECharts chart draws, the pickers keep the parameters in the URL."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_funnel_page_draws_the_chart_and_regroups_from_the_pickers(page, live_server, e2e_data):
    login(page, live_server, "head")
    page.click("nav.mainnav a[href='/reports/']")
    page.click("a[href='/reports/funnel/']")
    expect(page.locator("#report-chart[data-chart-ready='1'] canvas")).to_be_visible()
    expect(page.locator("table.report-table tbody tr").first).to_be_visible()
    first_reached = page.locator("table.report-table tbody tr").first.locator("td[data-key=reached]")
    expect(first_reached).to_have_text("3")
    screenshot(page, "reports-funnel")
    assert_accessible(page)
    page.select_option("#f-by1", "manager")
    page.click(".report-filters button[type=submit]")
    page.wait_for_url(lambda url: "by1=manager" in url)
    expect(page.locator("#report-chart[data-chart-ready='1'] canvas")).to_be_visible()
    expect(page.locator("td[data-key=manager]").first).to_have_text("Manager1")
    screenshot(page, "reports-funnel-by-manager")


def test_revenue_page_draws_a_line_chart(page, live_server, e2e_data):
    from voronka.deals.services import win_deal
    from voronka.pipelines.models import Stage

    deal = e2e_data.deals[1]
    # The test is about the chart: a pipeline without stage rules lets the deal be won as it is.
    Stage.objects.filter(pipeline_id=deal.pipeline_id).update(required_fields=[], questions_required=False)
    win_deal(actor=e2e_data.manager, deal=deal)
    login(page, live_server, "head")
    page.goto(f"{live_server.url}/reports/revenue/")
    expect(page.locator("#report-chart[data-chart-ready='1'] canvas")).to_be_visible()
    expect(page.locator("td[data-key=revenue]").first).to_contain_text("200")
    screenshot(page, "reports-revenue")


@pytest.mark.parametrize(("username", "blocks"), [("manager1", 4), ("lead1", 5), ("head", 5)])
def test_home_is_the_role_dashboard_with_charts_and_drillable_numbers(page, live_server, e2e_data, username, blocks):
    login(page, live_server, username)
    page.goto(f"{live_server.url}/")
    page.wait_for_url(lambda url: "/reports/dashboard/" in url)
    expect(page.locator("section.dashboard-block")).to_have_count(blocks)
    funnel = page.locator("section[data-block=funnel]")
    expect(funnel.locator(".dashboard-chart[data-chart-ready='1'] canvas")).to_be_visible()
    expect(funnel.locator("td[data-key=reached] a").first).to_have_text("3")
    screenshot(page, f"dashboard-{username}")
    assert_accessible(page)
    # The period and the pipeline stay in the URL.
    page.fill("#d-from", "2020-01-01")
    page.select_option("#d-pipeline", "inbound")
    page.click(".report-filters button[type=submit]")
    page.wait_for_url(lambda url: "from=2020-01-01" in url and "pipeline=inbound" in url)
    expect(page.locator("#d-from")).to_have_value("2020-01-01")
    # A number leads to the deal list of exactly that many deals.
    page.locator("section[data-block=funnel] td[data-key=reached] a").first.click()
    page.wait_for_url(lambda url: "/deals/" in url and "reached=" in url)
    expect(page.locator(".page-head [aria-live=polite]")).to_contain_text("3")
    # My day is one click away.
    expect(page.locator("nav.mainnav a[href='/my-day/']")).to_be_visible()
