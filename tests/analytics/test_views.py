"""Reports section: pages, parameters in the URL, errors, exports, scope and constant query counts."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from tests.factories import make_deal
from voronka.analytics.engine import list_reports
from voronka.deals.services import lose_deal, move_deal, win_deal

pytestmark = pytest.mark.django_db
NAMES = [r.name for r in list_reports()]


def deals(world, n: int, owner=None):
    stages = list(world.pipeline.stages.order_by("position"))
    for i in range(n):
        deal = make_deal(owner or world.owner, world.pipeline,
                         values={"amount": 1000 + i, "expected_close_date": "2099-12-31",
                                 "product": world.product.pk if i % 2 else None})
        deal = move_deal(actor=deal.owner, deal=deal, stage=stages[1 + i % 3])
        if i % 3 == 0:
            win_deal(actor=deal.owner, deal=deal)
        elif i % 3 == 1:
            lose_deal(actor=deal.owner, deal=deal, reason=world.reason)


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English messages: pages, the CLI and services speak the installation's language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def head_client(client, world):
    client.force_login(world.head)
    return client


def test_index_lists_every_report_and_the_nav_links_to_it(head_client):
    page = head_client.get("/reports/").content.decode()
    for name in NAMES:
        assert f"/reports/{name}/" in page
    assert 'href="/reports/"' in head_client.get("/my-day/").content.decode()


@pytest.mark.parametrize("name", NAMES)
def test_each_report_page_shows_a_table_and_chart_data(head_client, world, name):
    deals(world, 4)
    response = head_client.get(f"/reports/{name}/")
    assert response.status_code == 200
    html = response.content.decode()
    if name in ("churn", "activity", "dips", "campaigns", "nps"):  # all deals are from today (no previous period),
        # no task is done, no deal has a campaign and no survey is answered here
        assert "data-empty" in html and 'name="from"' in html
        return
    assert 'id="report-chart-data"' in html and f'data-report="{name}"' in html
    assert "echarts.min.js" in html


def test_parameters_stay_in_the_url_and_choose_the_groups(head_client, world):
    deals(world, 3)
    html = head_client.get("/reports/win-rate/?by1=product&by2=client_type&from=2000-01-01").content.decode()
    assert '<option value="product" selected>' in html and 'value="2000-01-01"' in html
    assert 'data-key="product"' in html and 'data-key="client_type"' in html


@pytest.mark.parametrize("query, message", [("from=2026-02-31", "is not a date"), ("by1=colour", "cannot be grouped"),
                                            ("pipeline=nowhere", "Unknown pipeline"),
                                            ("product=abc", "is not an id")])
def test_bad_parameters_are_a_400_with_the_message(head_client, world, query, message):
    response = head_client.get(f"/reports/win-rate/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_unknown_report_is_404(head_client):
    assert head_client.get("/reports/nope/").status_code == 404
    assert head_client.get("/reports/nope/export/").status_code == 404


def test_reports_need_sign_in(client):
    assert client.get("/reports/win-rate/").status_code == 302


def test_a_manager_sees_only_his_own_numbers(client, world):
    deals(world, 3)
    deals(world, 2, owner=world.outsider)
    client.force_login(world.owner)
    html = client.get("/reports/win-rate/").content.decode()
    assert ">owner<" in html and ">outsider<" not in html


def test_csv_and_xlsx_exports_carry_the_parameters(head_client, world):
    deals(world, 3)
    csv_response = head_client.get("/reports/revenue/export/?format=csv&by1=manager")
    assert csv_response["Content-Disposition"] == 'attachment; filename="revenue.csv"'
    text = b"".join(csv_response.streaming_content).decode()
    assert text.startswith("# report: revenue") and "manager_id,manager,currency,deals,revenue" in text
    xlsx = head_client.get("/reports/funnel/export/?format=xlsx&mode=flow")
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    params = dict(book.worksheets[1].iter_rows(values_only=True))
    assert params["report"] == "funnel" and params["mode"] == "flow" and params["pipeline"] == "inbound"
    assert head_client.get("/reports/revenue/export/?format=pdf").status_code == 400
    assert head_client.get("/reports/revenue/export/?from=x").status_code == 400
    from voronka.audit.models import AuditEntry

    exports = list(AuditEntry.objects.filter(action="export", actor=world.head).order_by("id")
                   .values_list("object_type", "new"))
    assert exports == [("report:revenue", "format=csv&by1=manager"), ("report:funnel", "format=xlsx&mode=flow")]


@pytest.mark.parametrize("name, query", [("funnel", "by1=manager"), ("funnel", "mode=flow&by1=product"),
                                         ("win-rate", "by1=manager&by2=month"), ("cycle", ""),
                                         ("revenue", ""), ("lost-reasons", "by1=region"), ("stuck", ""),
                                         ("avg-check", "by1=client_type"), ("manager-stage", ""),
                                         ("churn", "from=2026-01-01&to=2026-12-31&by1=region"),
                                         ("repeat", "by1=industry"), ("ltv", ""), ("activity", "by1=team"),
                                         ("dips", "mode=month&from=2026-01-01&to=2026-12-31"),
                                         ("campaigns", "mode=channel"), ("plan-fact", ""), ("plan-fact", "by=team"),
                                         ("crm-order", "by=team")])
def test_report_pages_run_a_constant_number_of_queries(head_client, world, name, query):
    counts = []
    for n in (3, 10):
        deals(world, n)
        with CaptureQueriesContext(connection) as ctx:
            assert head_client.get(f"/reports/{name}/?{query}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(("language", "revenue"), [("ru", "2\u00a0003\u00a0₽"), ("en", "2,003\u00a0₽")])
def test_amounts_in_report_tables_carry_the_currency_sign(client, world, settings, language, revenue):
    """Money columns show as the rest of the CRM shows amounts (core.formatting), with the row's currency."""
    from voronka.deals.services import update_deal

    deals(world, 6)  # won: amounts 1000 and 1003 (+ a USD deal below)
    usd = make_deal(world.owner, world.pipeline, values={"amount": 250, "expected_close_date": "2099-12-31"})
    usd = update_deal(actor=world.owner, deal=usd, values={"currency": "USD"})
    win_deal(actor=world.owner, deal=usd)
    settings.LANGUAGE_CODE = language
    client.force_login(world.head)
    with translation.override(language):
        html = client.get("/reports/revenue/", {"by": ""}).content.decode()
    cells = re_cells(html, "revenue")
    assert revenue in cells and "250\u00a0$" in cells, cells


def re_cells(html: str, key: str) -> list[str]:
    import re

    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(rf'data-key="{key}">(.*?)</td>', html)]
