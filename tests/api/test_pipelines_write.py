"""Administrators write pipelines and stages through the API, with the rules of Settings; others cannot."""

from __future__ import annotations

import json

import pytest

from tests.dbstate import unchanged
from voronka.pipelines.models import Pipeline, Stage

pytestmark = pytest.mark.django_db


def test_an_administrator_builds_a_pipeline(world, api):
    admin = api(world.admin)
    created = admin.post("pipelines", {"name": "Партнёры", "kind": "custom"})
    assert created.status_code == 201, created.content
    pipeline = json.loads(created.content)
    stage = admin.post(f"pipelines/{pipeline['id']}/stages",
                       {"name": "Заявка получена", "max_days": 3, "required_fields": ["amount"], "probability": 10})
    assert stage.status_code == 201, stage.content
    second = json.loads(admin.post(f"pipelines/{pipeline['id']}/stages", {"name": "Договор подписан"}).content)
    first = json.loads(stage.content)
    assert first["max_days"] == 3 and first["required_fields"] == ["amount"]
    patched = admin.patch(f"pipelines/{pipeline['id']}/stages/{first['id']}", {"goal": "Связаться за час"})
    assert patched.status_code == 200 and json.loads(patched.content)["goal"] == "Связаться за час"
    order = admin.post(f"pipelines/{pipeline['id']}/stage-order", {"stage_ids": [second["id"], first["id"]]})
    assert order.status_code == 200, order.content
    assert [s["id"] for s in json.loads(order.content)["stages"]] == [second["id"], first["id"]]
    off = admin.patch(f"pipelines/{pipeline['id']}", {"is_active": False})
    assert off.status_code == 200 and json.loads(off.content)["is_active"] is False
    assert Pipeline.objects.get(pk=pipeline["id"]).stages.count() == 2


@pytest.mark.parametrize("body, field", [({"required_fields": ["no_such_field"]}, "required_fields"),
                                         ({"on_enter": ["launch_rockets"]}, "on_enter"),
                                         ({"max_days": 0}, "max_days"), ({"probability": 101}, "probability")])
def test_bad_rulebooks_are_refused_with_the_field(world, api, body, field):
    stage = world.pipeline.stages.order_by("position").first()
    admin = api(world.admin)
    with unchanged():
        response = admin.patch(f"pipelines/{world.pipeline.pk}/stages/{stage.pk}", body)
    assert response.status_code in (400, 422)
    assert field in json.loads(response.content)["fields"]


def test_a_stage_of_another_pipeline_is_not_found(world, api):
    stage = world.other_pipeline.stages.first()
    response = api(world.admin).patch(f"pipelines/{world.pipeline.pk}/stages/{stage.pk}", {"goal": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["owner", "lead", "head"])
def test_only_administrators_write(world, api, who):
    before = list(Stage.objects.values_list("pk", "name", "goal"))
    client = api(getattr(world, who))
    assert client.post("pipelines", {"name": "Моя воронка"}).status_code == 403
    stage = world.pipeline.stages.first()
    assert client.patch(f"pipelines/{world.pipeline.pk}/stages/{stage.pk}", {"goal": "x"}).status_code == 403
    assert list(Stage.objects.values_list("pk", "name", "goal")) == before
    assert not Pipeline.objects.filter(name="Моя воронка").exists()
