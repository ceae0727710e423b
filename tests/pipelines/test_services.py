"""Pipeline and stage writes: admin-only configuration, checked rulebooks, complete reorders."""

from __future__ import annotations

import pytest

from tests.dbstate import stage_of
from tests.factories import make_deal
from voronka.catalog.models import CustomFieldDefinition
from voronka.core.errors import DomainError, Forbidden
from voronka.pipelines.models import Pipeline, Stage
from voronka.pipelines.services import add_stage, create_pipeline, delete_stage, reorder_stages, update_stage


def _order(pipeline) -> list[str]:
    return list(pipeline.stages.order_by("position", "id").values_list("slug", flat=True))


def test_reorder_stages_sets_the_given_order(world):
    p = world.pipeline
    ids = [stage_of(p, s).pk for s in ("signed", "received", "proposal", "qualified")]
    reorder_stages(actor=world.admin, pipeline=p, stage_ids=ids)
    assert _order(p) == ["signed", "received", "proposal", "qualified"]


@pytest.mark.parametrize("mangle", [
    lambda ids, other: ids[:-1],
    lambda ids, other: [*ids[:-1], ids[0]],
    lambda ids, other: [*ids, other],
    lambda ids, other: [*ids[:-1], other],
    lambda ids, other: [],
], ids=["missing-one", "duplicate", "extra-foreign", "foreign-instead", "empty"])
def test_reorder_stages_rejects_a_list_that_is_not_every_stage_once(world, mangle):
    p = world.pipeline
    before = _order(p)
    ids = list(p.stages.order_by("-position").values_list("pk", flat=True))
    with pytest.raises(DomainError) as exc:
        reorder_stages(actor=world.admin, pipeline=p, stage_ids=mangle(ids, stage_of(world.other_pipeline, "base").pk))
    assert exc.value.field == "order"
    assert _order(p) == before


def test_configuring_pipelines_is_for_admins_only(world):
    p = world.pipeline
    ids = list(p.stages.order_by("-position").values_list("pk", flat=True))
    for actor in (world.owner, world.lead, world.head, world.analyst):
        with pytest.raises(Forbidden):
            reorder_stages(actor=actor, pipeline=p, stage_ids=ids)
        with pytest.raises(Forbidden):
            add_stage(actor=actor, pipeline=p, name="Счёт выставлен")
        with pytest.raises(Forbidden):
            update_stage(actor=actor, stage=stage_of(p, "received"), required_fields=["amount"])
    assert Stage.objects.filter(pipeline=p).count() == 4
    assert stage_of(p, "received").required_fields == []


def test_add_stage_rejects_unknown_required_fields(world):
    with pytest.raises(DomainError) as exc:
        add_stage(actor=world.admin, pipeline=world.pipeline, name="Счёт выставлен",
                  required_fields=["amount", "cf:nope", "colour"])
    assert exc.value.field == "required_fields"
    assert "cf:nope" in exc.value.message and "colour" in exc.value.message
    assert not world.pipeline.stages.filter(name="Счёт выставлен").exists()


def test_add_stage_accepts_known_custom_and_client_fields(world):
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")
    stage = add_stage(actor=world.admin, pipeline=world.pipeline, name="Бюджет согласован",
                      required_fields=["cf:budget", "client.inn", "cf:budget"])
    assert stage.required_fields == ["cf:budget", "client.inn"]


def test_add_stage_rejects_unknown_automation_and_empty_names(world):
    with pytest.raises(DomainError) as exc:
        add_stage(actor=world.admin, pipeline=world.pipeline, name="Счёт выставлен", on_enter=["launch_rocket"])
    assert exc.value.field == "on_enter"
    with pytest.raises(DomainError) as exc:
        add_stage(actor=world.admin, pipeline=world.pipeline, name="  ")
    assert exc.value.field == "name"


def test_add_stage_gives_a_taken_slug_a_suffix(world):
    stage = add_stage(actor=world.admin, pipeline=world.pipeline, name="Повтор", slug="received")
    assert stage.slug != "received"
    assert world.pipeline.stages.filter(slug="received").count() == 1


def test_create_pipeline_rejects_a_taken_slug(world):
    with pytest.raises(DomainError) as exc:
        create_pipeline(actor=world.admin, name="Ещё входящие", slug="inbound")
    assert exc.value.field == "slug"
    assert Pipeline.objects.filter(slug="inbound").count() == 1


def test_delete_stage_refuses_a_stage_with_deals(world):
    deal = make_deal(world.owner, world.pipeline)
    with pytest.raises(DomainError):
        delete_stage(actor=world.admin, stage=deal.stage)
    assert Stage.objects.filter(pk=deal.stage_id).exists()
    empty = stage_of(world.pipeline, "qualified")
    delete_stage(actor=world.admin, stage=empty)
    assert not Stage.objects.filter(pk=empty.pk).exists()
