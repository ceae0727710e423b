"""Order in the CRM: each part and the score against an independent computation (``deals.rules`` for the
required fields), scope, ranking, the page and the query count."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from tests.analytics import oracle
from tests.analytics.history import at
from tests.analytics.test_closed_reports import canon
from tests.factories import make_client, make_deal, make_user, task_spec
from voronka.activities.models import Task
from voronka.activities.services import create_task
from voronka.analytics.engine import full_scope_actor, run_report
from voronka.catalog.models import CustomFieldDefinition
from voronka.cli import main
from voronka.clients.models import QualificationAnswer, Question, QuestionSet
from voronka.deals.services import move_deal, update_deal
from voronka.pipelines.models import Stage, StageQuestion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Some tests read English messages and labels: pages, the CLI and services speak the installation's
    language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def ours(actor, **params):
    return run_report(actor=actor, name="crm-order", params=params).rows


@pytest.fixture
def office(world):
    """Open deals with and without tasks, overdue tasks, clients with some answers, stage rules tightened
    after the deals entered (so some deals now miss what their stage requires)."""
    qs = QuestionSet.objects.create(name="BANT")
    budget_q = Question.objects.create(question_set=qs, text="Budget?", sort_order=1)
    need_q = Question.objects.create(question_set=qs, text="Need?", sort_order=2)
    Question.objects.create(question_set=qs, text="Old question", is_active=False)
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Budget", field_type="number")
    stages = {s.slug: s for s in Stage.objects.filter(pipeline=world.pipeline)}
    past = timezone.now() - dt.timedelta(days=10)
    mover = make_user("mover", team=world.team)
    for i, owner in enumerate([world.owner] * 5 + [world.teammate] * 3 + [world.outsider] * 2 + [mover] * 2):
        client = make_client(owner)
        if i % 3 == 0:
            QualificationAnswer.objects.create(client=client, question=budget_q, answer="yes")
        if i % 4 == 0:
            QualificationAnswer.objects.create(client=client, question=need_q, answer="yes")
        with at(past if i % 2 else timezone.now()):
            deal = make_deal(owner, world.pipeline, client=client,
                             values={"amount": 1000 * (i + 1), "expected_close_date": "2099-12-31",
                                     **({"product": world.product.pk} if i % 3 else {})})
        if i % 5 == 1:
            deal = move_deal(actor=owner, deal=deal, stage=stages["qualified"])
            if i % 2:
                update_deal(actor=owner, deal=deal, values={"cf:budget": "150"})
        if i % 5 == 2:
            deal = move_deal(actor=owner, deal=deal, stage=stages["proposal"])
        if i % 4 == 3:  # a deal that lost its open task (imported or legacy data)
            Task.objects.filter(deal=deal).update(status="cancelled")
        if i % 6 == 0:
            create_task(actor=owner, client=client, **task_spec(days=2))
    # Rules tightened afterwards: "qualified" now needs a product and the custom budget; "proposal" the answers.
    Stage.objects.filter(pk=stages["qualified"].pk).update(required_fields=["product", "cf:budget"])
    Stage.objects.filter(pk=stages["proposal"].pk).update(questions_required=True)
    StageQuestion.objects.create(stage=stages["proposal"], question=budget_q, position=1)
    # Every deal reached "received": its client is asked the budget there; the need only once a deal reached
    # "qualified" (a deal on "proposal" passed it); the inactive question is asked of nobody.
    StageQuestion.objects.create(stage=stages["received"], question=budget_q, position=1)
    StageQuestion.objects.create(stage=stages["qualified"], question=need_q, position=2)
    StageQuestion.objects.create(stage=stages["qualified"], question=Question.objects.get(is_active=False))
    mover.team = world.other_team
    mover.save(update_fields=["team"])
    return world


@pytest.mark.parametrize("by", ["manager", "team"])
def test_crm_order_equals_plain_python(office, by):
    actor = full_scope_actor()
    got = ours(actor, by=by)
    expected = oracle.crm_order(actor, by, timezone.now())
    assert got and canon(got) == canon(expected)
    parts = {k for r in got for k in ("with_open_task", "on_time_tasks", "qualified_clients", "complete_deals")
             if r[k] < r[{"with_open_task": "open_deals", "on_time_tasks": "open_tasks",
                          "qualified_clients": "clients", "complete_deals": "checked_deals"}[k]]}
    assert parts == {"with_open_task", "on_time_tasks", "qualified_clients", "complete_deals"}  # every part bites


def test_a_client_is_asked_the_questions_of_the_stages_its_deals_reached(office):
    from voronka.clients.models import Client

    world = office
    only_budget = make_client(world.owner)  # its deal stays on the first stage: the need is not asked yet
    QualificationAnswer.objects.create(client=only_budget, question=Question.objects.get(text="Budget?"),
                                       answer="yes")
    make_deal(world.owner, world.pipeline, client=only_budget)
    before = {r["manager_id"]: r for r in ours(full_scope_actor())}[world.owner.pk]
    assert canon(ours(full_scope_actor())) == canon(oracle.crm_order(full_scope_actor(), "manager", timezone.now()))
    deal = make_deal(world.owner, world.pipeline, client=only_budget,
                     values={"product": world.product.pk, "cf:budget": "10"})
    move_deal(actor=world.owner, deal=deal, stage=Stage.objects.get(pipeline=world.pipeline, slug="qualified"))
    after = {r["manager_id"]: r for r in ours(full_scope_actor())}[world.owner.pk]
    assert (after["clients"], after["qualified_clients"]) == (before["clients"], before["qualified_clients"] - 1)
    assert Client.objects.filter(pk=only_budget.pk).exists()


def test_rows_are_ranked_by_score_and_the_score_is_the_mean_of_the_parts(office):
    got = ours(full_scope_actor())
    assert [r["rank"] for r in got] == sorted(r["rank"] for r in got) and got[0]["rank"] == 1
    assert [r["score"] for r in got] == sorted((r["score"] for r in got), reverse=True)
    for r in got:
        pcts = [r[k] for k in ("open_task_pct", "on_time_pct", "qualified_pct", "fields_pct") if r[k] is not None]
        assert abs(r["score"] - sum(pcts) / len(pcts)) < 0.01


def test_crm_order_reads_through_the_scope_and_the_pipeline(office):
    world = office
    for actor in (world.owner, world.lead, world.head):
        assert canon(ours(actor)) == canon(oracle.crm_order(actor, "manager", timezone.now())), actor
    assert {r["manager_id"] for r in ours(world.owner)} == {world.owner.pk}
    got = ours(full_scope_actor(), pipeline="outreach")
    assert canon(got) == canon(oracle.crm_order(full_scope_actor(), "manager", timezone.now(),
                                                pipeline_id=world.other_pipeline.pk))


def test_without_active_questions_the_clients_part_is_left_out(office):
    Question.objects.update(is_active=False)
    got = ours(full_scope_actor())
    assert all(r["clients"] == 0 and r["qualified_pct"] is None for r in got)
    for r in got:
        shares = [r[k] for k in ("open_task_pct", "on_time_pct", "fields_pct") if r[k] is not None]
        assert abs(r["score"] - sum(shares) / len(shares)) < 0.01
    assert canon(got) == canon(oracle.crm_order(full_scope_actor(), "manager", timezone.now()))


def test_crm_order_has_no_period_and_one_grouping(office):
    from voronka.core.errors import DomainError

    for params, field in (({"from": "2026-01-01"}, "from"), ({"by": ""}, "by"), ({"by": "product"}, "by")):
        with pytest.raises(DomainError) as exc:
            ours(full_scope_actor(), **params)
        assert exc.value.field == field


def test_crm_order_runs_a_constant_number_of_queries(world, client):
    client.force_login(world.head)
    counts = []
    for n in (2, 8):
        for i in range(n):
            make_deal(world.owner if i % 2 else world.teammate, world.pipeline)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/reports/crm-order/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_page_and_the_cli(office, client, capsys):
    client.force_login(office.lead)
    with translation.override("en"):
        html = client.get("/reports/crm-order/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-report="crm-order"' in html and 'data-key="score"' in html and "Order in the CRM" in html
    assert main(["report", "crm-order", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["report"] == "crm-order" and data["rows"][0]["rank"] == 1
    assert {"open_deals", "with_open_task", "open_tasks", "on_time_tasks", "clients", "qualified_clients",
            "checked_deals", "complete_deals", "score"} <= set(data["rows"][0])


def test_open_deals_link_to_the_deal_list_with_the_same_count(office, client):
    import re

    world = office
    client.force_login(world.lead)
    rows = {r["manager_id"]: r for r in ours(world.lead)}
    html = client.get("/reports/crm-order/?pipeline=inbound").content.decode()
    links = dict(re.findall(r'<a href="(/deals/\?[^"]+)" data-drill="open_deals">([0-9\s\u00a0]+)</a>', html))
    assert links
    for url, number in links.items():
        owner = int(re.search(r"owner=(\d+)", url).group(1))
        expected = {r["manager_id"]: r for r in ours(world.lead, pipeline="inbound")}[owner]["open_deals"]
        assert int(re.sub(r"\D", "", number)) == expected and "status=open" in url and "pipeline=" in url
        listed = client.get(url.replace("&amp;", "&")).content.decode()
        assert int(re.search(r'aria-live="polite">\s*(\d+) deals?<', listed).group(1)) == expected
    assert set(rows) >= {int(re.search(r"owner=(\d+)", u).group(1)) for u in links}
