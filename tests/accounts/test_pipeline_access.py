"""Per-pipeline access: a user limited to some pipelines sees and works only their deals, everywhere."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.accounts.permissions import scope_q
from voronka.accounts.services import create_api_token
from voronka.analytics.engine import run_report
from voronka.audit.models import AuditEntry
from voronka.core.errors import DomainError, NotFound
from voronka.deals.models import Deal
from voronka.deals.selectors import global_search
from voronka.deals.services import change_deal_pipeline
from voronka.pipelines.services import set_pipeline_access

pytestmark = pytest.mark.django_db


@pytest.fixture
def renewal(world):
    """The owner works in Outreach only; he has a deal in each pipeline (the Inbound one from before)."""
    inbound = make_deal(world.owner, world.pipeline, title="Входящая сделка", values={"amount": "700"},
                        first_task=task_spec(title="Задача входящей"))
    outreach = make_deal(world.owner, world.other_pipeline, title="Исходящая сделка", values={"amount": "300"},
                         first_task=task_spec(title="Задача исходящей"))
    set_pipeline_access(actor=world.admin, user=world.owner, pipelines=[world.other_pipeline])
    world.owner.refresh_from_db()
    return {"inbound": inbound, "outreach": outreach}


def _browser(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_lists_boards_search_and_my_day_show_only_his_pipelines(world, renewal):
    http = _browser(world.owner)
    deals = http.get(reverse("deals:list")).content.decode()
    assert "Исходящая сделка" in deals and "Входящая сделка" not in deals
    assert http.get(reverse("deals:board", args=[world.pipeline.slug])).status_code == 404
    board = http.get(reverse("deals:board", args=[world.other_pipeline.slug]))
    assert board.status_code == 200 and "Исходящая сделка" in board.content.decode()
    assert "Inbound" not in board.content.decode()  # no tab of the other pipeline
    assert http.get(reverse("deals:board_default"))["Location"].startswith(
        reverse("deals:board", args=[world.other_pipeline.slug]))
    assert http.get(reverse("deals:detail", args=[renewal["inbound"].pk])).status_code == 404
    day = http.get(reverse("web:my_day")).content.decode()
    assert "Задача исходящей" in day and "Задача входящей" not in day
    results = global_search(actor=world.owner, text="сделка")
    assert [d.title for d in results.deals] == ["Исходящая сделка"]


def test_the_api_follows_it(world, renewal):
    _token, raw = create_api_token(actor=world.owner, name="t", scope="write")
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    items = json.loads(api.get("/api/v1/deals").content)["items"]
    assert [d["title"] for d in items] == ["Исходящая сделка"]
    assert api.get(f"/api/v1/deals/{renewal['inbound'].pk}").status_code == 404
    pipelines = json.loads(api.get("/api/v1/pipelines").content)["items"]
    assert [p["id"] for p in pipelines] == [world.other_pipeline.pk]
    created = api.post("/api/v1/deals", json.dumps({
        "title": "Новая", "pipeline": world.pipeline.pk, "client": renewal["outreach"].client_id,
        "first_task": {"title": "Позвонить", "kind": "call", "due_date": "2030-01-01"}}),
        content_type="application/json")
    assert created.status_code in (404, 422) and not Deal.objects.filter(title="Новая").exists()


def test_reports_count_only_his_pipelines(world, renewal):
    result = run_report(actor=world.owner, name="revenue", params={})
    assert result is not None
    with pytest.raises(DomainError):
        run_report(actor=world.owner, name="funnel", params={"pipeline": world.pipeline.slug})
    funnel = run_report(actor=world.owner, name="funnel", params={})
    assert funnel.params.pipeline == world.other_pipeline
    seen = set(Deal.objects.filter(scope_q(world.owner, "deals.Deal")).values_list("pk", flat=True))
    assert seen == {renewal["outreach"].pk}


def test_no_deal_is_created_in_or_moved_to_another_pipeline(world, renewal):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(NotFound):
        make_deal(world.owner, world.pipeline, client=client)
    with unchanged(), pytest.raises(NotFound):
        change_deal_pipeline(actor=world.owner, deal=renewal["outreach"], pipeline=world.pipeline)
    quick_add = _browser(world.owner).get(reverse("clients:quick_add")).content.decode()
    assert ">Outreach<" in quick_add and ">Inbound<" not in quick_add


def test_a_head_limited_to_a_pipeline_sees_all_of_it_and_nothing_else(world, renewal):
    theirs = make_deal(world.outsider, world.other_pipeline, title="Чужая исходящая")
    make_deal(world.outsider, world.pipeline, title="Чужая входящая")
    set_pipeline_access(actor=world.admin, user=world.head, pipelines=[world.other_pipeline])
    world.head.refresh_from_db()
    seen = set(Deal.objects.filter(scope_q(world.head, "deals.Deal")).values_list("pk", flat=True))
    assert seen == {renewal["outreach"].pk, theirs.pk}


def test_access_is_set_in_settings_and_audited(world, renewal):
    admin = _browser(world.admin)
    url = reverse("settings:user_pipelines", args=[world.owner.pk])
    page = admin.get(url)
    assert page.status_code == 200 and b'name="pipelines"' in page.content
    admin.post(url, {"pipelines": [str(world.pipeline.pk), str(world.other_pipeline.pk)]})
    http = _browser(world.owner)
    assert http.get(reverse("deals:detail", args=[renewal["inbound"].pk])).status_code == 200
    admin.post(url, {})  # none ticked: every pipeline
    entries = AuditEntry.objects.filter(action="user.pipelines_changed", object_id=str(world.owner.pk))
    assert list(entries.order_by("id").values_list("new", flat=True)) == [
        str(world.other_pipeline.pk), f"{world.pipeline.pk},{world.other_pipeline.pk}", "all"]
    assert admin.post(url, {"pipelines": ["999999"]}).status_code == 400
    assert _browser(world.owner).get(url).status_code in (403, 404)
