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
