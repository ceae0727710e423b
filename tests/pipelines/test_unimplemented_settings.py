"""No setting that silently does nothing: on-enter actions and owner roles that cannot work are refused."""

from __future__ import annotations

import importlib

import pytest
from django.urls import reverse

from tests.dbstate import stage_of
from voronka.core.errors import DomainError
from voronka.pipelines.actions import check_on_enter
from voronka.pipelines.models import Stage
from voronka.pipelines.services import BLUEPRINTS, add_stage, load_blueprint, update_stage

NOT_BUILT = ["send_email_reanimation"]


@pytest.mark.parametrize("action", [*NOT_BUILT, {"action": "send_email", "template": 999}])
def test_update_stage_refuses_an_on_enter_action_that_cannot_run(world, action):
    stage = stage_of(world.pipeline, "qualified")
    with pytest.raises(DomainError) as exc:
        update_stage(actor=world.admin, stage=stage, on_enter=["create_task_call", action])
    assert exc.value.field == "on_enter" and "2" in exc.value.message  # the number of the refused action
    assert Stage.objects.get(pk=stage.pk).on_enter == []


@pytest.mark.parametrize("role", ["analyst", "wizard"])
def test_add_stage_refuses_an_owner_role_that_cannot_own_deals(world, role):
    with pytest.raises(DomainError) as exc:
        add_stage(actor=world.admin, pipeline=world.pipeline, name="Счёт выставлен", owner_role=role)
    assert exc.value.field == "owner_role" and exc.value.code == "unknown_role"
    assert not world.pipeline.stages.filter(name="Счёт выставлен").exists()


def test_the_implemented_actions_are_still_accepted(world):
    stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"),
                         on_enter=["create_task_call", "create_task_email", "create_task_meeting"], owner_role="")
    assert [(a["action"], a["kind"]) for a in stage.on_enter] == [
        ("create_task", "call"), ("create_task", "email"), ("create_task", "meeting")]


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_blueprints_promise_nothing_that_is_not_built(name):
    for spec in load_blueprint(name)["stages"]:
        check_on_enter(spec.get("on_enter") or [])  # every blueprint action is one that runs
        assert not spec.get("owner_role"), spec["slug"]


def test_the_stage_form_offers_no_unbuilt_action_and_the_built_owner_rules(client, world):
    client.force_login(world.admin)
    html = client.get(reverse("settings:stage", args=[stage_of(world.pipeline, "qualified").pk])).content.decode()
    assert 'name="on_enter"' in html
    assert "notify_owner" not in html and "send_email_reanimation" not in html
    assert 'name="owner_role"' in html and 'name="owner_mode"' in html and 'value="least_loaded"' in html


def test_a_posted_unbuilt_action_is_a_field_error_not_a_silent_save(client, world):
    client.force_login(world.admin)
    stage = stage_of(world.pipeline, "qualified")
    response = client.post(reverse("settings:stage", args=[stage.pk]), {
        "name": stage.name, "probability": "10", "on_enter": '[{"action": "launch"}]'})
    assert response.status_code in (200, 400)
    assert Stage.objects.get(pk=stage.pk).on_enter == []


def test_the_events_migration_strips_stored_unbuilt_settings(world):
    stage = stage_of(world.pipeline, "qualified")
    Stage.objects.filter(pk=stage.pk).update(on_enter=["notify_owner", "create_task_call", "send_email_reanimation"],
                                             owner_role="manager")
    migration = importlib.import_module("voronka.events.migrations.0001_outbox")
    from django.apps import apps

    migration.strip_unimplemented_stage_settings(apps, None)
    stage.refresh_from_db()
    assert (stage.on_enter, stage.owner_role) == (["create_task_call"], "")
