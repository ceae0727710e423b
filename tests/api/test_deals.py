"""Deals through HTTP: create with the first task, get with lines and custom fields, update on a version, the
actions (move, win, lose, reopen, reassign), scope (404, nothing written) and the deal list's filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.api.conftest import assert_problem
from tests.dbstate import unchanged
from tests.factories import make_client, make_deal
from voronka.activities.models import Task, TaskStatus
from voronka.catalog.models import CustomFieldDefinition
from voronka.deals.models import Deal, StageTransition

pytestmark = pytest.mark.django_db


def _stage(world, slug):
    return world.pipeline.stages.get(slug=slug)


def _due(days=1):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_create_deal_with_its_first_task(world, api):
    client = make_client(world.owner)
    body = {"title": "Внедрение", "pipeline": world.pipeline.pk, "client": client.pk,
            "first_task": {"title": "Позвонить", "due_date": _due(), "kind": "call"},
            "values": {"source": world.source.pk}}
    response = api(world.owner).post("deals", body)
    assert response.status_code == 201, response.content
    data = response.json()
    deal = Deal.objects.get(pk=data["id"])
    assert data["stage"]["id"] == deal.stage_id == _stage(world, "received").pk
    assert data["source"] == {"id": world.source.pk, "name": "Сайт"}
    assert data["owner"]["username"] == "owner" and data["version"] == 1 and data["lines"] == []
    task = Task.objects.get(deal=deal)
    assert (task.title, task.status, task.assignee_id) == ("Позвонить", TaskStatus.OPEN, world.owner.pk)
    assert StageTransition.objects.filter(deal=deal).count() == 1


def test_create_deal_without_a_task_is_refused(world, api):
    client = make_client(world.owner)
    http = api(world.owner)
    with unchanged():
        response = http.post("deals", {"title": "x", "pipeline": world.pipeline.pk,
                                                   "client": client.pk})
        body = assert_problem(response, 422, "validation", field="first_task")
    assert body["errors"][0]["field"] == "first_task"


def test_create_deal_on_a_stage_with_required_fields_names_them(world, api):
    client = make_client(world.owner)
    http = api(world.owner)
    with unchanged():
        response = http.post("deals", {
            "title": "x", "pipeline": world.pipeline.pk, "client": client.pk, "stage": _stage(world, "signed").pk,
            "first_task": {"title": "t", "due_date": _due()}})
        body = assert_problem(response, 422, "required_fields_missing")
    assert set(body["fields"]) == {"amount", "expected_close_date"}
    assert {e["field"] for e in body["errors"]} == {"amount", "expected_close_date"}


def test_create_deal_for_a_hidden_client_is_404_and_writes_nothing(world, api):
    hidden = make_client(world.outsider)
    http = api(world.owner)
    with unchanged():
        body = assert_problem(http.post("deals", {
            "title": "x", "pipeline": world.pipeline.pk, "client": hidden.pk,
            "first_task": {"title": "t", "due_date": _due()}}), 404, field="client")
    assert "ООО" not in body["detail"]


def test_get_deal_with_lines_and_custom_fields(world, api):
    CustomFieldDefinition.objects.create(entity="deal", key="seats", label="Seats", field_type="number")
    deal = make_deal(world.owner, world.pipeline, values={"cf:seats": "12"})
    from voronka.deals.services import set_deal_lines

    set_deal_lines(actor=world.owner, deal=deal, lines=[{"product": world.product, "quantity": "2",
                                                         "price": "1000", "discount_pct": "10"}])
    data = api(world.owner, "read").get(f"deals/{deal.pk}").json()
    assert data["custom"] == {"seats": 12} or data["custom"] == {"seats": "12"}
    assert len(data["lines"]) == 1
    line = data["lines"][0]
    assert line["product"]["id"] == world.product.pk
    assert (line["quantity"], line["price"], line["discount_pct"], line["total"]) == ("2.000", "1000.00", "10.00",
                                                                                      "1800.00")
    assert data["amount"] == "1800.00"


def test_manager_cannot_see_or_change_another_managers_deal(world, api):
    deal = make_deal(world.teammate, world.pipeline)
    client = api(world.owner)
    assert_problem(client.get(f"deals/{deal.pk}"), 404, "not_found")
    assert deal.pk not in [d["id"] for d in client.get("deals").json()["items"]]
    stage = _stage(world, "qualified")
    with unchanged():
        assert_problem(client.patch(f"deals/{deal.pk}", {"version": 1, "values": {"title": "мой"}}), 404)
        assert_problem(client.post(f"deals/{deal.pk}/move", {"stage": stage.pk}), 404)
        assert_problem(client.post(f"deals/{deal.pk}/win", {"amount": "100"}), 404)
        assert_problem(client.post(f"deals/{deal.pk}/lose", {"lost_reason": world.reason.pk}), 404)
        assert_problem(client.post(f"deals/{deal.pk}/reassign", {"owner": world.owner.pk}), 404)
        assert_problem(client.post(f"deals/{deal.pk}/reopen", {"task": {"title": "t", "due_date": _due()}}), 404)
    # the lead of the team sees it
    assert api(world.lead, "read").get(f"deals/{deal.pk}").status_code == 200


def test_update_deal_on_its_version_and_409_when_stale(world, api):
    deal = make_deal(world.owner, world.pipeline)
    client = api(world.owner)
    response = client.patch(f"deals/{deal.pk}", {"version": 1, "values": {"title": "Новое", "amount": "5 000,50"}})
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["amount"], response.json()["version"]) == ("Новое",
                                                                                                "5000.50", 2)
    with unchanged():
        body = assert_problem(client.patch(f"deals/{deal.pk}", {"version": 1, "values": {"title": "Старое"}}),
                              409, "stale", field="version")
    assert body["field"] == "version"
    deal.refresh_from_db()
    assert (deal.title, deal.version) == ("Новое", 2)


def test_update_needs_the_version(world, api):
    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner)
    with unchanged():
        assert_problem(http.patch(f"deals/{deal.pk}", {"values": {"title": "x"}}), 422,
                       field="version")


def test_unknown_field_key_is_a_field_error(world, api):
    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner)
    with unchanged():
        assert_problem(http.patch(f"deals/{deal.pk}", {"version": 1, "values": {"nope": 1}}), 400,
                       "unknown_field", field="nope")


def test_move_asks_for_required_fields_then_moves(world, api):
    deal = make_deal(world.owner, world.pipeline)
    client = api(world.owner)
    proposal = _stage(world, "proposal")
    with unchanged():
        body = assert_problem(client.post(f"deals/{deal.pk}/move", {"stage": proposal.pk}), 422,
                              "required_fields_missing")
    assert body["fields"] == ["amount"]
    response = client.post(f"deals/{deal.pk}/move", {"stage": proposal.pk, "values": {"amount": 1500},
                                                      "version": 1})
    assert response.status_code == 200, response.content
    assert response.json()["stage"]["id"] == proposal.pk and response.json()["amount"] == "1500.00"
    assert StageTransition.objects.filter(deal=deal, to_stage=proposal, kind="skip").count() == 1


def test_move_on_a_stale_version_is_409(world, api):
    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner)
    with unchanged():
        assert_problem(http.post(f"deals/{deal.pk}/move", {"stage": _stage(world, "qualified").pk,
                                                                      "version": 7}), 409, "stale")


def test_move_to_a_stage_of_another_pipeline_is_refused(world, api):
    deal = make_deal(world.owner, world.pipeline)
    foreign = world.other_pipeline.stages.first()
    http = api(world.owner)
    with unchanged():
        response = http.post(f"deals/{deal.pk}/move", {"stage": foreign.pk})
        assert 400 <= response.status_code < 500
        assert_problem(response, response.status_code, field="stage")


def test_win_lose_reopen_reassign(world, api):
    client = api(world.owner)
    deal = make_deal(world.owner, world.pipeline)
    won = client.post(f"deals/{deal.pk}/win", {"amount": "90000", "values": {"expected_close_date": _due(5)}})
    assert won.status_code == 200, won.content
    assert (won.json()["status"], won.json()["amount"]) == ("won", "90000.00")
    assert not Task.objects.filter(deal=deal, status=TaskStatus.OPEN).exists()

    reopened = client.post(f"deals/{deal.pk}/reopen", {"task": {"title": "Снова", "due_date": _due(2)}})
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["status"] == "open"
    assert Task.objects.filter(deal=deal, status=TaskStatus.OPEN, title="Снова").count() == 1

    lost = client.post(f"deals/{deal.pk}/lose", {"lost_reason": world.reason.pk, "comment": "дорого",
                                                 "version": reopened.json()["version"]})
    assert lost.status_code == 200, lost.content
    assert (lost.json()["status"], lost.json()["lost_reason"]["id"], lost.json()["lost_comment"]) == (
        "lost", world.reason.pk, "дорого")
    kinds = list(StageTransition.objects.filter(deal=deal).order_by("at", "id").values_list("kind", flat=True))
    assert kinds == ["created", "won", "reopen", "lost"]

    other = make_deal(world.lead, world.pipeline, owner=world.owner)
    handed = api(world.lead).post(f"deals/{other.pk}/reassign", {"owner": world.teammate.pk})
    assert handed.status_code == 200, handed.content
    assert handed.json()["owner"]["username"] == "teammate"
    assert set(Task.objects.filter(deal=other, status=TaskStatus.OPEN).values_list("assignee", flat=True)) == {
        world.teammate.pk}


def test_lose_without_a_known_reason_is_refused(world, api):
    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner)
    with unchanged():
        assert_problem(http.post(f"deals/{deal.pk}/lose", {"lost_reason": 999999}), 400,
                       field="lost_reason")
        assert_problem(http.post(f"deals/{deal.pk}/lose", {}), 422, field="lost_reason")


def test_win_twice_is_a_conflict(world, api):
    deal = make_deal(world.owner, world.pipeline, values={"amount": "10"})
    client = api(world.owner)
    assert client.post(f"deals/{deal.pk}/win", {"values": {"expected_close_date": _due()}}).status_code == 200
    with unchanged():
        assert_problem(client.post(f"deals/{deal.pk}/win", {}), 409, "invalid_transition")


def test_manager_cannot_reassign_to_a_colleague(world, api):
    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner)
    with unchanged():
        assert_problem(http.post(f"deals/{deal.pk}/reassign", {"owner": world.teammate.pk}), 403,
                       field="owner")


def test_analyst_reads_but_cannot_write(world, api):
    from django.test import Client as HttpClient

    deal = make_deal(world.owner, world.pipeline)
    analyst = api(world.analyst, "read")
    assert analyst.get(f"deals/{deal.pk}").status_code == 200
    session = HttpClient()
    session.force_login(world.analyst)  # the session has no token scope: the services refuse the write
    with unchanged():
        response = session.post(f"/api/v1/deals/{deal.pk}/win", {"amount": "10"}, content_type="application/json")
        assert_problem(response, 403, "forbidden")


def test_deal_list_filters_match_the_deal_list(world, api):
    a = make_deal(world.owner, world.pipeline, title="Альфа", values={"source": world.source.pk})
    b = make_deal(world.owner, world.other_pipeline, title="Бета")
    client = api(world.owner, "read")

    def ids(**params):
        return {d["id"] for d in client.get("deals", params).json()["items"]}

    assert ids() == {a.pk, b.pk}
    assert ids(pipeline=world.pipeline.pk) == {a.pk}
    assert ids(source=world.source.pk) == {a.pk}
    assert ids(q="бета") == {b.pk}
    assert ids(status="won") == set()
    assert ids(stage=b.stage_id) == {b.pk}
    assert ids(owner=world.teammate.pk) == set()


def test_deal_fields_schema_lists_the_registry(world, api):
    CustomFieldDefinition.objects.create(entity="deal", key="seats", label="Seats", field_type="number")
    schema = api(world.owner, "read").get("deals/fields").json()
    assert {"amount", "source", "cf:seats", "client.region"} <= set(schema["properties"])


def test_create_deal_with_product_lines_takes_their_total(world, api):
    client = make_client(world.owner)
    response = api(world.owner).post("deals", {
        "title": "С товарами", "pipeline": world.pipeline.pk, "client": client.pk,
        "first_task": {"title": "t", "due_date": _due()},
        "values": {"lines": [{"product": world.product.pk, "quantity": "3", "price": "1000"},
                             {"product": world.product.pk, "quantity": 1, "price": 500, "discount_pct": 50}]}})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["amount"] == "3250.00"  # 3 × 1000 + 500 × 50 %
    assert [line["total"] for line in data["lines"]] == ["3000.00", "250.00"]


def test_move_to_another_pipeline(world, api):
    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner)
    letter = world.other_pipeline.stages.get(slug="letter")
    response = http.post(f"deals/{deal.pk}/pipeline", {"pipeline": world.other_pipeline.pk, "stage": letter.pk,
                                                        "version": 1})
    assert response.status_code == 200, response.content
    assert (response.json()["pipeline"]["id"], response.json()["stage"]["id"]) == (world.other_pipeline.pk,
                                                                                   letter.pk)
    assert StageTransition.objects.filter(deal=deal, kind="pipeline_change").count() == 1
    with unchanged():
        assert_problem(http.post(f"deals/{deal.pk}/pipeline", {"pipeline": world.other_pipeline.pk}), 409,
                       "invalid_transition", field="pipeline")
        assert_problem(http.post(f"deals/{deal.pk}/pipeline", {"pipeline": 999999}), 404, field="pipeline")
