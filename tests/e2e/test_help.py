"""The user guide in a real browser: the "?" of the board opens the board's section; pipeline instructions
written by an administrator show above the columns, sanitised; the guide fits a phone screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1440, 390])
def test_the_question_mark_on_the_board_opens_the_board_section(page, live_server, e2e_data, width):
    from voronka.pipelines.models import Pipeline
    from voronka.pipelines.services import update_pipeline

    inbound = Pipeline.objects.get(slug="inbound")
    update_pipeline(actor=e2e_data.admin, pipeline=inbound, name=inbound.name, is_active=True,
                    instructions="Перезвонить **за 15 минут**.\n\n<script>window.hacked = 1</script>")
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/pipelines/inbound/board/")
    block = page.get_by_test_id("pipeline-instructions")
    expect(block.locator("strong")).to_have_text("за 15 минут")
    assert page.evaluate("window.hacked") is None  # the script was removed, not run
    assert block.locator("script").count() == 0
    screenshot(page, f"board-instructions-{width}")

    page.get_by_test_id("help").click()
    expect(page).to_have_url(re.compile(r"/help/board/$"))
    expect(page.locator("h1")).to_have_text("Канбан")
    expect(page.locator("article.help-body")).to_contain_text("Пометки на карточке")
    expect(page.locator(".help-layout nav a[aria-current=page]")).to_have_text("Канбан")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"help-board-{width}")
    assert_accessible(page)
