"""Drill-down: every linked number on a report page leads to the deal list with exactly that many deals.

The test reads the report page as a head of sales sees it, follows every ``data-drill`` link to the deal
list (a query cap on each) and compares the list's count with the number clicked.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from voronka.activities.models import Task
from voronka.analytics.engine import run_report

pytestmark = pytest.mark.django_db

PERIOD = {"from": "2026-03-01", "to": "2026-10-31"}
LINK = re.compile(r'<a href="(/(?:deals|tasks)/\?[^"]+)" data-drill="(\w+)">([^<]+)</a>')
COUNT = re.compile(r'aria-live="polite">\s*([\d\s\u00a0]+)\D')

# (report, parameters, the columns that must be links)
CASES = [
    ("funnel", {**PERIOD, "pipeline": "inbound"}, {"reached", "converted", "dropped", "won", "open"}),
    ("funnel", {**PERIOD, "pipeline": "inbound", "by": "manager"}, {"reached", "converted", "dropped", "won"}),
    ("funnel", {**PERIOD, "pipeline": "outreach", "by": "product"}, {"reached", "converted"}),
    ("funnel", {"from": "2026-05-01", "to": "2026-08-31", "pipeline": "inbound", "by": "client_type,month"},
     {"reached"}),
    ("funnel", {**PERIOD, "pipeline": "inbound", "by": "region,team", "channel": "none"}, {"reached"}),
    ("win-rate", {**PERIOD, "by": "manager"}, {"won", "lost", "closed"}),
    ("win-rate", {**PERIOD, "by": "team,month"}, {"won", "lost", "closed"}),
    ("win-rate", {"from": "2026-04-01", "to": "2026-09-30", "by": "channel,source"}, {"won", "closed"}),
    ("win-rate", {**PERIOD, "by": "industry,week", "product": "none"}, {"closed"}),
    ("win-rate", {"by": "target_audience,campaign"}, {"closed"}),
    ("cycle", {**PERIOD, "by": "manager,quarter"}, {"deals"}),
    ("avg-check", {**PERIOD, "by": "product"}, {"deals"}),
    ("revenue", {**PERIOD, "by": "month", "pipeline": "inbound"}, {"deals"}),
    ("lost-reasons", PERIOD, {"count"}),
    ("lost-reasons", {**PERIOD, "by": "manager"}, {"count"}),
    ("stuck", {"by": "manager"}, {"open_deals", "past_max_days", "no_open_task"}),
    ("stuck", {"by": "team", "pipeline": "inbound"}, {"open_deals", "past_max_days", "no_open_task"}),
    ("manager-stage", {**PERIOD, "pipeline": "inbound"}, {"reached", "converted"}),
    ("plan-fact", {**PERIOD, "by": "manager"}, {"fact_count"}),
    ("dips", {**PERIOD, "by": "manager"}, {"previous", "current"}),
    ("dips", {**PERIOD, "by": "team", "mode": "month", "pipeline": "inbound"}, {"previous", "current"}),
    ("plan-fact", {**PERIOD, "by": "team", "pipeline": "inbound"}, {"fact_count"}),
]
AMOUNTS = {"revenue": "deals"}



def _links(html: str) -> list[tuple[str, str, float]]:
    """(url, column, number) of every drill link, in page order; the numbers of a dips row about revenue are
    amounts (they link to the won deals behind them) and are left out."""
    out = []
    for row in html.split("<tr>"):
        metric = re.search(r'data-key="metric">([^<]*)<', row)
        if metric and metric.group(1).strip() == "won_revenue":
            continue
        out += [(url.replace("&amp;", "&"), key, _number(text)) for url, key, text in LINK.findall(row)]
    return out


def _number(text: str) -> float:
    """A shown number (group separators, a decimal comma or point) as a number."""
    return float(re.sub(r"[^\d.,-]", "", text).replace(",", "."))


@pytest.mark.parametrize(("name", "params", "linked"), CASES,
                         ids=[f"{c[0]}:{c[1].get('by', '')}:{c[1].get('pipeline', '')}" for c in CASES])
def test_every_number_links_to_a_list_of_that_many_deals(history, client, django_assert_max_num_queries,
                                                         name, params, linked):
    head = history.world.head
    client.force_login(head)
    page = client.get(f"/reports/{name}/", params)
    assert page.status_code == 200
    links = _links(page.content.decode())
    rows = [r for r in run_report(actor=head, name=name, params=params).rows if r.get("metric") != "won_revenue"]
    assert rows
    assert linked <= {key for _url, key, _n in links}, name
    # One link per row and linked column of the report (none dropped).
    per_row = {key for _u, key, _n in links}
    assert len(links) >= len(rows) * len(linked) and len(links) <= len(rows) * len(per_row)
    followed = 0
    for url, key, number in links:
        if url.startswith("/tasks/"):
            continue
        if key in AMOUNTS:  # an amount links to the same deals as the row's count
            assert url in {u for u, k, _n in links if k == AMOUNTS[key]}
            continue
        with django_assert_max_num_queries(22):
            listed = client.get(url)
        assert listed.status_code == 200
        assert _number(COUNT.search(listed.content.decode()).group(1)) == number, (key, url)
        followed += 1
    assert followed
    assert sum(n for _u, _k, n in links) > 0  # not a page of zeros


def test_the_deal_list_says_it_shows_a_reports_deals_and_keeps_them_when_filtering(history, client):
    world = history.world
    client.force_login(world.head)
    stage = world.pipeline.stages.order_by("position").first()
    html = client.get("/deals/", {"reached": stage.pk, "closed_from": "2026-03-01", "product": "none"}).content.decode()
    assert "data-drilled" in html
    for name, value in (("reached", stage.pk), ("closed_from", "2026-03-01"), ("product", "none")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in html
    assert "data-drilled" not in client.get("/deals/", {"status": "open"}).content.decode()


def test_overdue_tasks_link_to_the_task_list_of_the_assignee(history, client):
    head = history.world.head
    client.force_login(head)
    html = client.get("/reports/stuck/", {"by": "manager"}).content.decode()
    links = [(url.replace("&amp;", "&"), _number(text)) for url, key, text in LINK.findall(html)
             if key == "overdue_tasks"]
    assert links
    today = timezone.localdate()
    for url, number in links:
        assignee = int(re.search(r"assignee=(\d+)", url).group(1))
        assert "status=open" in url and "due=overdue" in url
        assert Task.objects.filter(assignee_id=assignee, status="open", due_date__lt=today).count() == number


@pytest.mark.parametrize(("username", "kind"), [("owner", "manager"), ("lead", "lead"), ("head", "head")])
def test_every_dashboard_number_links_to_that_many_deals(history, client, django_assert_max_num_queries,
                                                          username, kind):
    user = getattr(history.world, username)
    client.force_login(user)
    html = client.get("/reports/dashboard/", {**PERIOD, "pipeline": "inbound"}).content.decode()
    assert f'value="{PERIOD["from"]}"' in html and 'value="inbound" selected' in html  # kept in the URL
    links = _links(html)
    deal_links = [(u, k, n) for u, k, n in links if u.startswith("/deals/")]
    assert deal_links and sum(n for _u, _k, n in deal_links) > 0
    for url, key, number in deal_links:
        with django_assert_max_num_queries(22):
            listed = client.get(url).content.decode()
        assert _number(COUNT.search(listed).group(1)) == number, (key, url)
    # The blocks are the reports: the funnel block's numbers are the funnel report's for this user.
    funnel = run_report(actor=user, name="funnel", params={**PERIOD, "pipeline": "inbound",
                                                          **({"by": "team"} if kind == "head" else {})}).rows
    reached = [n for _u, k, n in deal_links if k == "reached"]
    assert reached == [r["reached"] for r in funnel]
