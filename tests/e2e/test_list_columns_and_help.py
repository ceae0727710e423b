"""In a real browser: the deal list's column chooser at 1440 px and 390 px (the choice survives a new sign-in),
a custom field's help text under the field in the move dialog, and the guide highlighting the user's role."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, login, screenshot

pytestmark = pytest.mark.e2e


def _headers(page) -> list[str]:
    return page.locator(".deal-table thead th[data-col]").evaluate_all("hs => hs.map(h => h.dataset.col)")


@pytest.mark.parametrize("width", [1440, 390])
def test_the_user_chooses_and_orders_the_deal_list_columns(page, live_server, e2e_data, width):
    from voronka.catalog.services import create_custom_field
    from voronka.deals.services import update_deal

    create_custom_field(actor=e2e_data.admin, entity="deal", label="Бюджет проекта", key="budget",
                        field_type="text")
    update_deal(actor=e2e_data.manager, deal=e2e_data.deals[0], values={"cf:budget": "полмиллиона"})
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/deals/")
    assert _headers(page)[:3] == ["client", "amount", "stage"]
    page.get_by_test_id("column-chooser").click()
    chooser = page.locator("#column-chooser")
    chooser.locator("input[name=columns][value=stage]").uncheck()
    chooser.locator("input[name=columns][value=next_task]").uncheck()
    chooser.locator("input[name=columns][value='cf:budget']").check()
    chooser.get_by_test_id("save-columns").click()
    page.wait_for_url(lambda url: "/deals/" in url)
    headers = _headers(page)
    assert "stage" not in headers and "next_task" not in headers and headers[-1] == "cf:budget"
    # move the custom field up once: it comes back to the open chooser, one place higher
    page.get_by_test_id("column-chooser").click()
    page.locator("#column-chooser button[name=up][value='cf:budget']").click()
    expect(page.locator("#column-chooser")).to_have_attribute("open", "")
    assert _headers(page)[-2] == "cf:budget"
    row = page.locator("[data-deal-row]", has_text="Ромашка")
    expect(row.locator("td[data-col='cf:budget']")).to_have_text("полмиллиона")
    if width == 390:  # a card: the cell names itself
        label = row.locator("td[data-col='cf:budget']").evaluate("c => getComputedStyle(c, '::before').content")
        assert label.strip('"') == "Бюджет проекта"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"deal-list-columns-{width}")
    assert_accessible(page)
    # kept for the user: a new session shows the same columns
    page.context.clear_cookies()
    login(page, live_server, "manager1")
    page.goto(f"{live_server.url}/deals/")
    assert _headers(page) == [h for h in headers[:-2]] + ["cf:budget", headers[-2]]


def test_a_custom_fields_help_text_shows_under_it_in_the_move_dialog(page, live_server, e2e_data):
    from voronka.catalog.services import create_custom_field
    from voronka.pipelines.models import Pipeline
    from voronka.pipelines.services import update_stage

    create_custom_field(actor=e2e_data.admin, entity="deal", label="Бюджет проекта", key="budget",
                        field_type="text", help_text="Спросите у **ЛПР**. <script>window.hacked = 1</script>")
    stages = list(Pipeline.objects.get(slug="inbound").stages.filter(is_archived=False).order_by("position"))
    update_stage(actor=e2e_data.admin, stage=stages[1], required_fields=[*stages[1].required_fields, "cf:budget"])
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, live_server, "manager1")
    deal = e2e_data.deals[0]
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    page.locator(".stagepath button.stagepath-btn").first.click()  # the second stage: it needs the field
    help_text = page.locator("[data-required-field='cf:budget'] [data-testid=field-help]")
    expect(help_text.locator("strong")).to_have_text("ЛПР")
    assert page.evaluate("window.hacked") is None
    screenshot(page, "custom-field-help-text")


@pytest.mark.parametrize(("username", "role"), [("manager1", "manager"), ("lead1", "lead"), ("head", "head"),
                                                ("admin", "admin")])
def test_the_guide_highlights_the_users_role(page, live_server, e2e_data, username, role):
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, live_server, username)
    page.goto(f"{live_server.url}/help/")
    mine = page.locator("section.help-role.is-my-role")
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("data-role", role)
    expect(mine.get_by_test_id("my-role")).to_be_visible()
    page.get_by_test_id("jump-my-role").click()
    expect(page).to_have_url(f"{live_server.url}/help/#role-{role}")
    expect(mine).to_be_in_viewport()
    assert mine.evaluate("s => getComputedStyle(s).borderLeftWidth") == "4px"
    screenshot(page, f"help-my-role-{role}")
    assert_accessible(page)
