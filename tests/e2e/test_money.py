"""Money that does not change behind the user's back, in a real browser: the move dialog of a stage that needs
product lines shows the lines total against the amount, and the user chooses."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


def test_lines_do_not_silently_replace_the_amount(page, live_server, e2e_data):
    from voronka.catalog.models import Product
    from voronka.deals.models import Deal
    from voronka.deals.services import update_deal

    deal = e2e_data.deals[0]
    update_deal(actor=e2e_data.manager, deal=deal, values={"amount": "540000"})
    stage = deal.pipeline.stages.get(position=deal.stage.position + 1)
    stage.required_fields = ["lines"]
    stage.save(update_fields=["required_fields"])
    product = Product.objects.filter(is_active=True, price__gt=0).first() or Product.objects.create(
        name="Перевод", price=300000)
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    page.locator(".stagepath-btn", has_text=stage.name).click()
    dialog = page.locator("#modal-root dialog[open]")
    expect(dialog.get_by_test_id("amount-before")).to_contain_text("540\u00a0000")
    dialog.locator("[name=lines_product]").select_option(str(product.pk))
    expect(dialog.locator("[name=lines_price]")).to_have_value(str(product.price))  # the product's price
    dialog.locator("[name=lines_quantity]").fill("1")
    expect(dialog.get_by_test_id("lines-total")).not_to_have_text("—")
    # the same format as the server's money filter (Russian: no-break space groups, comma decimals, ₽)
    expect(dialog.get_by_test_id("lines-total")).to_have_text(re.compile("^\\d{1,3}(\u00a0\\d{3})*(,\\d\\d)?\u00a0₽$"))
    dialog.locator("button[type=submit]").click()
    dialog = page.locator("#modal-root dialog[open]")
    expect(dialog.get_by_test_id("amount-choice").locator(".errorlist")).to_contain_text("540\u00a0000")
    screenshot(page, "lines-amount-choice")
    deal.refresh_from_db()
    assert deal.amount == Decimal("540000") and deal.stage_id != stage.pk
    dialog.locator("[name=amount_from_lines]").check()
    dialog.locator("button[type=submit]").click()
    expect(page.locator("#modal-root dialog")).to_have_count(0)
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage_id == stage.pk and deal.amount == product.price
