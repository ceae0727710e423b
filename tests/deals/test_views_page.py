"""Deal page views: access, stage path, inline edit, lines, reopen, panels, query caps."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_deal, task_spec
from voronka.deals.models import Deal, DealStatus
from voronka.deals.services import lose_deal, move_deal, update_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline, values={"amount": "1200"})


@pytest.fixture
def owner_client(client, world):
    client.force_login(world.owner)
    return client


def hx(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true")


def test_deal_page_renders_header_path_rulebook_and_history(owner_client, world, deal):
    stage = world.pipeline.stages.get(slug="qualified")
    stage.goal = "Узнать бюджет"
    stage.instructions = "Шаг 1\nШаг 2"
    stage.save()
    from voronka.clients.models import QualificationAnswer, Question, QuestionSet
    from voronka.pipelines.models import StageQuestion

    qs = QuestionSet.objects.create(name="Q")
    question = Question.objects.create(question_set=qs, text="Какой бюджет?")
    StageQuestion.objects.create(stage=stage, question=question, position=1)
    StageQuestion.objects.create(stage=stage, question=Question.objects.create(
        question_set=qs, text="Кто принимает решение?"), position=2)
    QualificationAnswer.objects.create(client=deal.client, question=question, answer="Миллион")
    move_deal(actor=world.owner, deal=deal, stage=stage)
    response = owner_client.get(reverse("deals:detail", args=[deal.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="stagepath-item') == 4
    assert 'aria-current="step"' in html
    assert "Узнать бюджет" in html and "Шаг 1<br>\nШаг 2" in html
    assert "Миллион" in html and "Кто принимает решение?" in html
    assert "Заявка получена" in html  # stage history
    assert 'id="deal-version" name="version" value="2"' in html


def test_hidden_deal_is_404(client, world, deal):
    client.force_login(world.outsider)
    for name in ("deals:detail", "deals:tasks", "deals:timeline", "deals:lines", "deals:reopen"):
        assert client.get(reverse(name, args=[deal.pk])).status_code == 404, name
    assert client.get(reverse("deals:field", args=[deal.pk, "amount"])).status_code == 404
    assert client.get(reverse("deals:detail", args=[987654])).status_code == 404


def test_lead_sees_a_teammates_deal(client, world, deal):
    client.force_login(world.lead)
    assert client.get(reverse("deals:detail", args=[deal.pk])).status_code == 200


def test_inline_edit_amount(owner_client, deal):
    url = reverse("deals:field", args=[deal.pk, "amount"])
    html = hx(owner_client, "get", url).content.decode()
    assert 'name="amount"' in html and "<form" in html
    response = hx(owner_client, "post", url, {"amount": "3500.50", "version": deal.version})
    html = response.content.decode()
    assert response.status_code == 200
    assert "3\u00a0500,50" in html or "3\u00a0500.50" in html
    assert 'id="deal-version" name="version" value="2" hx-swap-oob="true"' in html
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("3500.50")


def test_inline_edit_errors_stay_inline(owner_client, deal, world):
    url = reverse("deals:field", args=[deal.pk, "amount"])
    response = hx(owner_client, "post", url, {"amount": "lots", "version": deal.version})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    # the current stage requires nothing; a stage that needs the amount refuses to clear it
    move_deal(actor=world.owner, deal=deal, stage=world.pipeline.stages.get(slug="proposal"))
    response = hx(owner_client, "post", url, {"amount": "", "version": 2})
    assert "errorlist" in response.content.decode() or "form-errors" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("1200")


def test_inline_edit_with_a_stale_version_is_refused(owner_client, deal):
    url = reverse("deals:field", args=[deal.pk, "title"])
    response = hx(owner_client, "post", url, {"title": "Новое", "version": 5})
    assert "form-errors" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).title != "Новое"


def test_inline_edit_of_an_unknown_field_is_404(owner_client, deal):
    assert hx(owner_client, "get", reverse("deals:field", args=[deal.pk, "owner"])).status_code == 404
    assert hx(owner_client, "get", reverse("deals:field", args=[deal.pk, "cf:nope"])).status_code == 404


def test_inline_edit_custom_field(owner_client, deal):
    from voronka.catalog.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(entity="deal", key="size", label="Size", field_type="choice",
                                         choices=[{"value": "s", "label": "Small"}, {"value": "l", "label": "Large"}])
    html = owner_client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert "Size" in html
    url = reverse("deals:field", args=[deal.pk, "cf:size"])
    response = hx(owner_client, "post", url, {"cf:size": "l", "version": deal.version})
    assert "Large" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).custom == {"size": "l"}
    response = hx(owner_client, "post", url, {"cf:size": "zzz", "version": 2})
    assert "errorlist" in response.content.decode()


def test_lines_edit_replaces_lines_and_amount(owner_client, world, deal):
    url = reverse("deals:lines", args=[deal.pk])
    html = hx(owner_client, "get", url).content.decode()
    assert 'name="lines-TOTAL_FORMS"' in html
    data = {"lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "100", "lines-0-product": world.product.pk, "lines-0-quantity": "2",
            "lines-0-price": "1000", "lines-0-discount_pct": "10", "lines-1-product": "", "version": deal.version}
    response = hx(owner_client, "post", url, data)
    assert response.status_code == 200 and "lines-table" in response.content.decode()
    deal.refresh_from_db()
    assert deal.lines.count() == 1 and deal.amount == Decimal("1800.00")
    data["lines-0-quantity"] = "-1"
    data["version"] = deal.version
    response = hx(owner_client, "post", url, data)
    assert "errorlist" in response.content.decode()


def test_reopen_requires_a_task(owner_client, world, deal):
    lose_deal(actor=world.owner, deal=deal, reason=world.reason)
    url = reverse("deals:reopen", args=[deal.pk])
    assert "<dialog data-autoopen" in hx(owner_client, "get", url).content.decode()
    response = hx(owner_client, "post", url, {"task_title": "", "task_kind": "call", "task_due_date": ""})
    assert "errorlist" in response.content.decode()
    deal.refresh_from_db()
    response = hx(owner_client, "post", url, {"task_title": "Позвонить снова", "task_kind": "call",
                                              "task_due_date": str(task_spec()["due_date"]),
                                              "version": deal.version})
    assert response["HX-Refresh"] == "true"
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN and deal.tasks.filter(status="open").count() == 1


def test_win_from_the_page_refreshes(owner_client, world, deal):
    deal = update_deal(actor=world.owner, deal=deal, values={"expected_close_date": "2030-01-31"})
    response = hx(owner_client, "post", reverse("deals:win", args=[deal.pk]), {"amount": "1200", "ctx": "page"})
    assert response["HX-Refresh"] == "true"


def test_tasks_and_timeline_partials(owner_client, deal):
    html = owner_client.get(reverse("deals:tasks", args=[deal.pk])).content.decode()
    assert 'id="tasks-panel"' in html and "Позвонить" in html
    html = owner_client.get(reverse("deals:timeline", args=[deal.pk])).content.decode()
    assert 'class="timeline"' in html


def test_deal_page_query_count_does_not_grow(owner_client, world):
    from voronka.activities.services import add_timeline_entry, create_task
    from voronka.deals.services import set_deal_lines

    def build(n):
        deal = make_deal(world.owner, world.pipeline, values={"amount": "100"})
        for i in range(n):
            create_task(actor=world.owner, deal=deal, **task_spec(days=i + 1))
            add_timeline_entry(actor=world.owner, kind="note", body=f"note {i}", deal=deal)
        set_deal_lines(actor=world.owner, deal=deal, lines=[{"product": world.product.pk, "quantity": 1}] * n)
        stages = list(world.pipeline.stages.order_by("position"))
        for target in (stages[1], stages[0], stages[1])[: min(n, 3)]:
            deal.refresh_from_db()
            move_deal(actor=world.owner, deal=deal, stage=target)
        return deal

    def count(deal) -> int:
        url = reverse("deals:detail", args=[deal.pk])
        owner_client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert owner_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count(build(3))
    assert count(build(10)) == small
    assert small <= 20
