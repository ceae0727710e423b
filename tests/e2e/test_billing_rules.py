"""Settings › Billing rules in a real browser: the administrator makes "Счёт оплачен" require the paid invoice
and a full payment move deals there (the enforcement itself: tests/billing/test_stage_rules.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def test_billing_rules_saved_in_the_browser(page, live_server, e2e_data):
    from voronka.billing.models import PaidMove, StageBillingRule
    from voronka.pipelines.models import Stage

    paid = Stage.objects.get(pipeline__slug="inbound", slug="invoice-paid")
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/settings/billing/rules/")
    page.locator(f"input[name=paid_{paid.pk}]").check()
    page.locator(f"select[name=move_{paid.pipeline_id}]").select_option(str(paid.pk))
    assert_accessible(page)
    screenshot(page, "billing-rules-settings")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator(f"input[name=paid_{paid.pk}]")).to_be_checked()
    assert StageBillingRule.objects.get(stage=paid).requires_paid_invoice
    assert PaidMove.objects.get(pipeline=paid.pipeline).stage_id == paid.pk
