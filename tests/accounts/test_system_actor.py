"""The explicit system actor: no ``actor=None`` anywhere, and the system user never shows up as a person."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_deal, sign_in, task_spec
from voronka.accounts.models import User
from voronka.accounts.permissions import require_perm
from voronka.accounts.selectors import active_users, assignable_users, list_users_for_settings
from voronka.accounts.services import create_team, get_system_actor
from voronka.activities.selectors import my_day
from voronka.activities.services import create_task
from voronka.audit.models import AuditEntry
from voronka.core.errors import DomainError, Forbidden
from voronka.deals.services import create_deal
from voronka.demo.bootstrap import install_defaults
from voronka.pipelines.models import Pipeline
from voronka.pipelines.services import add_stage, create_pipeline, install_pipeline_template, update_stage

pytestmark = pytest.mark.django_db


def test_get_system_actor_is_one_inactive_row_that_cannot_sign_in(db):
    system = get_system_actor()
    assert get_system_actor().pk == system.pk
    assert User.objects.filter(is_system=True).count() == 1
    assert system.is_system and not system.is_active and not system.has_usable_password()
    assert str(system) == "System" or str(system) == "Система"


def test_system_actor_gets_another_username_when_system_is_taken(db):
    User.objects.create_user(username="system", password="x")
    system = get_system_actor()
    assert system.is_system and system.username != "system"


def test_system_actor_cannot_sign_in(client, world):
    system = world.system
    system.set_password("demo")
    system.save()
    assert sign_in(client, system.username, "demo") is False
    response = client.post(reverse("web:login"), {"username": system.username, "password": "demo"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_require_perm_refuses_no_actor(world):
    for perm in ("view", "change", "configure"):
        with pytest.raises(Forbidden):
            require_perm(None, perm)


@pytest.mark.parametrize("call", [
    lambda w: create_pipeline(actor=None, name="X", slug="x"),
    lambda w: add_stage(actor=None, pipeline=w.pipeline, name="Шаг сделан"),
    lambda w: install_pipeline_template(actor=None, name="inbound", slug="inbound-x"),
    lambda w: create_team(actor=None, name="Team C"),
])
def test_configuration_services_refuse_actor_none(world, call):
    pipelines, stages = Pipeline.objects.count(), world.pipeline.stages.count()
    with pytest.raises(Forbidden):
        call(world)
    assert Pipeline.objects.count() == pipelines and world.pipeline.stages.count() == stages


def test_system_actor_configures_and_changes_with_scope_all_and_is_audited(world):
    system = world.system
    stage = world.pipeline.stages.order_by("position").first()
    update_stage(actor=system, stage=stage, goal="Позвонить в течение часа")
    assert AuditEntry.objects.filter(action="stage.updated", actor=system).exists()
    client_of_owner = make_deal(world.owner, world.pipeline).client
    deal = create_deal(actor=system, title="Импорт", pipeline=world.pipeline, client=client_of_owner,
                       owner=world.owner, first_task=task_spec())
    assert deal.owner == world.owner
    assert AuditEntry.objects.get(action="deal.created", object_id=str(deal.pk)).actor == system
    assert deal.transitions.get().by_user == system


def test_install_defaults_acts_as_system_actor(db):
    install_defaults(language="ru")
    assert Pipeline.objects.filter(slug="inbound").exists()
    assert User.objects.filter(is_system=True).count() == 1


def test_system_actor_cannot_be_given_records(world):
    system = world.system
    deal = make_deal(world.owner, world.pipeline)
    with pytest.raises(DomainError) as exc:
        create_deal(actor=system, title="Импорт", pipeline=world.pipeline, client=deal.client,
                    first_task=task_spec())
    assert exc.value.field == "owner"
    with pytest.raises(DomainError) as exc:
        create_deal(actor=world.head, title="Импорт", pipeline=world.pipeline, client=deal.client,
                    owner=system, first_task=task_spec())
    assert exc.value.field == "owner"
    with pytest.raises(DomainError) as exc:
        create_task(actor=world.head, deal=deal, title="Позвонить", due_date=task_spec()["due_date"],
                    assignee=system)
    assert exc.value.field == "assignee"


def test_system_actor_is_in_no_picker_and_no_my_day(world):
    system = world.system
    for qs in (assignable_users(actor=world.head), active_users(actor=world.admin, include=system.pk),
               list_users_for_settings(actor=world.admin)):
        assert system not in list(qs)
    day = my_day(actor=world.head, assignee=system.pk)
    assert day.counts == {"overdue": 0, "today": 0, "upcoming": 0}
