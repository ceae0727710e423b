"""Declarative ``on_enter`` stage actions: checked when saved, run after commit once, each on the timeline."""

from __future__ import annotations

import importlib

import pytest
from django.urls import reverse

from tests.dbstate import stage_of
from tests.factories import make_client, make_deal
from tests.integrations.conftest import receiver  # noqa: F401  (a real local HTTP receiver)
from voronka.activities.models import Activity, Task, TaskKind
from voronka.automation.models import Notification
from voronka.core.errors import DomainError
from voronka.deals.services import move_deal
from voronka.events.dispatch import dispatch_event
from voronka.events.models import OutboxEvent
from voronka.integrations.models import WebhookDelivery
from voronka.integrations.services import create_subscription
from voronka.mailings.models import Enrolment, Send
from voronka.mailings.services import add_step, create_sequence
from voronka.pipelines.actions import TASK_KINDS
from voronka.pipelines.models import Stage
from voronka.pipelines.services import update_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(world):
    customer = make_client(world.owner, name="Омега", email="omega@example.com")
    return make_deal(world.owner, world.pipeline, client=customer)


def _actions(deal) -> list[str]:
    return list(Activity.objects.filter(deal=deal, data__event="stage_action").order_by("pk")
                .values_list("body", flat=True))


def test_the_task_kinds_agree_with_the_activities_app():
    assert set(TASK_KINDS) == set(TaskKind.values)


@pytest.mark.parametrize("actions, message", [
    ([{"action": "launch_rocket"}], "Unknown action"),
    ([{"action": "create_task", "kind": "dance"}], "Unknown task kind"),
    ([{"action": "create_task", "kind": "call", "due_days": 9999}], "due_days"),
    ([{"action": "create_task", "kind": "call", "colour": "red"}], "Unknown keys"),
    ([{"action": "notify", "to": "everybody"}], "“to” is one of"),
    ([{"action": "send_email", "template": 12345}], "No active email template"),
    ([{"action": "start_sequence", "sequence": 12345}], "No sequence"),
    ([{"action": "webhook", "subscription": 12345}], "No webhook subscription"),
    ([{"action": "assign_owner", "user": 12345}], "not an active user"),
    ([{"action": "assign_owner"}], "either “user” or “team”"),
    ([{"action": "assign_owner", "user": 1, "team": 1}], "either “user” or “team”"),
    ([{"action": "assign_owner", "team": 12345}], "does not exist"),
    ([{"action": "assign_owner", "team": 12345, "mode": "random"}], "“mode” is one of"),
    ([{"action": "set_field", "field": "nope", "value": 1}], "nope"),
    ([{"action": "set_field", "field": "amount", "value": "много"}], "Action 1"),
    ("not a list", "must be a list"),
])
def test_an_action_that_cannot_run_is_refused_at_save_with_its_number(world, actions, message):
    stage = stage_of(world.pipeline, "qualified")
    with pytest.raises(DomainError) as exc:
        update_stage(actor=world.admin, stage=stage, on_enter=actions)
    assert exc.value.field == "on_enter" and message in exc.value.message
    assert Stage.objects.get(pk=stage.pk).on_enter == []


def test_the_stage_settings_page_saves_json_actions_and_shows_field_errors(world, client, templates):
    stage = stage_of(world.pipeline, "qualified")
    client.force_login(world.admin)
    url = reverse("settings:stage", args=[stage.pk])
    response = client.post(url, {"name": stage.name, "probability": "10", "on_enter": "[{oops"})
    assert "Not valid JSON" in response.content.decode()
    response = client.post(url, {"name": stage.name, "probability": "10",
                                 "on_enter": '[{"action": "send_email", "template": 99999}]'})
    assert "No active email template" in response.content.decode()
    body = f'[{{"action": "send_email", "template": {templates[0].pk}}}, {{"action": "notify", "to": "team_lead"}}]'
    assert client.post(url, {"name": stage.name, "probability": "10", "on_enter": body}).status_code == 302
    stage.refresh_from_db()
    assert stage.on_enter == [{"action": "send_email", "template": templates[0].pk},
                              {"action": "notify", "to": "team_lead"}]
    assert "send_email" in client.get(url).content.decode()


def test_a_move_runs_the_actions_after_commit_once_each_on_the_timeline(world, deal, templates, commit,
                                                                         smtp_server):
    stage = stage_of(world.pipeline, "qualified")
    sequence = create_sequence(actor=world.admin, name="После квалификации", kind="outreach")
    add_step(actor=world.admin, sequence=sequence, template=templates[1], delay_days=3)
    update_stage(actor=world.admin, stage=stage, on_enter=[
        {"action": "create_task", "kind": "meeting", "due_days": 2, "assignee": "team_lead"},
        {"action": "notify", "to": "team_lead", "text": "Сделка квалифицирована"},
        {"action": "send_email", "template": templates[0].pk},
        {"action": "start_sequence", "sequence": sequence.pk},
        {"action": "set_field", "field": "source", "value": world.source.pk},
        {"action": "assign_owner", "user": world.teammate.pk},
    ])
    with commit():
        move_deal(actor=world.owner, deal=deal, stage=stage)
    meeting = Task.objects.get(deal=deal, kind="meeting")
    assert meeting.assignee == world.lead  # in the move's transaction
    assert Notification.objects.get(recipient=world.lead, title="Сделка квалифицирована").event_type == "stage_action"
    [message] = smtp_server.wait(1)
    assert message["To"] == "omega@example.com" and message["List-Unsubscribe"]
    assert Enrolment.objects.get(client=deal.client, sequence=sequence).status == "active"
    deal.refresh_from_db()
    assert deal.source == world.source and deal.owner == world.teammate
    bodies = _actions(deal)
    assert len(bodies) == 6 and all("Stage action" in b for b in bodies)
    event = OutboxEvent.objects.get(verb="stage.entered")
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)  # as if the mark had been lost
    with commit():
        assert dispatch_event(event.pk) is True
    assert len(_actions(deal)) == 6 and Send.objects.count() == 1  # nothing twice
    assert Notification.objects.filter(recipient=world.lead, title="Сделка квалифицирована").count() == 1


def test_stop_sequence_and_a_webhook_to_a_real_receiver(world, deal, templates, commit, receiver):  # noqa: F811
    sequence = create_sequence(actor=world.admin, name="Холодная", kind="outreach")
    add_step(actor=world.admin, sequence=sequence, template=templates[1], delay_days=3)
    from voronka.mailings.services import enrol_clients

    enrol_clients(actor=world.owner, sequence=sequence, clients=[deal.client])
    hook = create_subscription(actor=world.admin, name="CRM bus", target_url=receiver.url, event_types=["deal.won"])
    stage = stage_of(world.pipeline, "qualified")
    update_stage(actor=world.admin, stage=stage, on_enter=[{"action": "stop_sequence"},
                                                           {"action": "webhook", "subscription": hook.pk}])
    with commit():
        move_deal(actor=world.owner, deal=deal, stage=stage)
    assert Enrolment.objects.get().stop_reason == "action"
    assert WebhookDelivery.objects.filter(subscription=hook, event_type="stage.entered").count() == 1
    assert [r.json["type"] for r in receiver.requests] == ["stage.entered"]


def test_an_action_that_can_no_longer_run_is_written_as_not_done(world, deal, templates, commit):
    stage = stage_of(world.pipeline, "qualified")
    update_stage(actor=world.admin, stage=stage, on_enter=[{"action": "send_email", "template": templates[0].pk}])
    templates[0].is_active = False
    templates[0].save()
    with commit():
        move_deal(actor=world.owner, deal=deal, stage=stage)
    [body] = _actions(deal)
    assert "not done" in body and not Send.objects.exists()


def test_old_stored_names_are_migrated_and_still_run(world, deal):
    stage = stage_of(world.pipeline, "qualified")
    Stage.objects.filter(pk=stage.pk).update(on_enter=["create_task_email"])
    move_deal(actor=world.owner, deal=deal, stage=stage)  # read as the new form before the migration too
    assert Task.objects.filter(deal=deal, kind="email", status="open").exists()
    migration = importlib.import_module("voronka.pipelines.migrations.0007_on_enter_actions")
    from django.apps import apps

    migration.forward(apps, None)
    stage.refresh_from_db()
    assert stage.on_enter == [{"action": "create_task", "kind": "email", "due_days": 1}]


def test_assign_owner_to_a_team_member_is_refused_for_an_empty_team_and_a_bad_mode(world):
    from voronka.accounts.models import Team

    stage = stage_of(world.pipeline, "qualified")
    empty = Team.objects.create(name="Пустая")
    with pytest.raises(DomainError) as exc:
        update_stage(actor=world.admin, stage=stage, on_enter=[{"action": "assign_owner", "team": empty.pk}])
    assert "no active manager or lead" in exc.value.message
    with pytest.raises(DomainError) as exc:
        update_stage(actor=world.admin, stage=stage, on_enter=[
            {"action": "assign_owner", "team": world.team.pk, "mode": "fixed"}])
    assert "“mode” is one of" in exc.value.message
    with pytest.raises(DomainError) as exc:
        update_stage(actor=world.admin, stage=stage, on_enter=[
            {"action": "assign_owner", "user": world.teammate.pk, "mode": "round_robin"}])
    assert "“mode” goes with “team” only" in exc.value.message


def _members(world) -> list:
    from voronka.accounts.models import User

    return list(User.objects.filter(team=world.team, is_active=True, is_system=False,
                                    role__in=("manager", "lead")).order_by("pk"))


def test_assign_owner_round_robin_gives_the_deals_to_the_team_in_turn(world, commit):
    stage = stage_of(world.pipeline, "qualified")
    update_stage(actor=world.admin, stage=stage, on_enter=[{"action": "assign_owner", "team": world.team.pk}])
    assert Stage.objects.get(pk=stage.pk).on_enter == [
        {"action": "assign_owner", "team": world.team.pk, "mode": "round_robin"}]
    members = _members(world)
    assert len(members) >= 2
    deals = [make_deal(world.owner, world.pipeline) for _ in range(len(members) + 1)]
    for deal in deals:
        with commit():
            move_deal(actor=world.owner, deal=deal, stage=stage)
    owners = [type(d).objects.get(pk=d.pk).owner for d in deals]
    assert owners == [*members, members[0]]  # each member once, then the first again


def test_assign_owner_least_loaded_gives_the_deal_to_the_member_with_the_fewest_open_deals(world, commit):
    from voronka.deals.models import Deal

    stage = stage_of(world.pipeline, "qualified")
    update_stage(actor=world.admin, stage=stage, on_enter=[
        {"action": "assign_owner", "team": world.team.pk, "mode": "least_loaded"}])
    members = _members(world)
    for _ in range(2):  # everyone but the last member gets two more open deals
        for member in members[:-1]:
            make_deal(member, world.pipeline)
    deal = make_deal(world.owner, world.pipeline)
    load = {m.pk: Deal.objects.filter(owner=m, status="open").count() for m in members}
    expected = min(members, key=lambda m: (load[m.pk], m.pk))
    with commit():
        move_deal(actor=world.owner, deal=deal, stage=stage)
    assert Deal.objects.get(pk=deal.pk).owner == expected
    assert any("assign_owner" in body for body in _actions(deal))
