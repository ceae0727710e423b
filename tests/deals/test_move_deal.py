"""move_deal: stages of the own pipeline only, required fields first (invariant 2), scope and conveyor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.dbstate import open_tasks, stage_of, transitions_of, unchanged
from tests.factories import make_deal, task_spec
from voronka.accounts.services import get_system_actor
from voronka.activities.models import Activity
from voronka.activities.services import complete_task, create_task
from voronka.catalog.models import CustomFieldDefinition
from voronka.core.errors import DomainError, Forbidden, MissingFields
from voronka.deals.models import Deal
from voronka.deals.rules import labels_for
from voronka.deals.services import InvalidTransition, lose_deal, move_deal
from voronka.pipelines.services import add_stage


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline)


def test_move_deal_changes_the_stage_and_bumps_the_version(world, deal):
    qualified = stage_of(world.pipeline, "qualified")
    moved = move_deal(actor=world.owner, deal=deal, stage=qualified)
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage_id, stored.version, stored.furthest_stage_id) == (qualified.pk, 2, qualified.pk)
    assert moved.version == stored.version


def test_move_deal_accepts_a_stage_id(world, deal):
    qualified = stage_of(world.pipeline, "qualified")
    move_deal(actor=world.owner, deal=deal, stage=qualified.pk)
    assert Deal.objects.get(pk=deal.pk).stage_id == qualified.pk


def test_move_deal_rejects_an_unknown_stage_id(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        move_deal(actor=world.owner, deal=deal, stage=987654)
    assert exc.value.code == "unknown_stage"


def test_move_deal_rejects_stage_of_another_pipeline(world, deal):
    with unchanged(), pytest.raises(InvalidTransition) as exc:
        move_deal(actor=world.owner, deal=deal, stage=stage_of(world.other_pipeline, "letter"))
    assert exc.value.field == "stage"


def test_move_deal_rejects_the_stage_the_deal_is_on(world, deal):
    with unchanged(), pytest.raises(InvalidTransition):
        move_deal(actor=world.owner, deal=deal, stage=deal.stage)


def test_move_deal_rejects_a_closed_deal(world, deal):
    lost = lose_deal(actor=world.owner, deal=deal, reason=world.reason)
    with unchanged(), pytest.raises(InvalidTransition):
        move_deal(actor=world.owner, deal=lost, stage=stage_of(world.pipeline, "qualified"))


def test_move_deal_into_stage_with_empty_required_fields_names_exactly_the_missing_ones(world, deal):
    signed = stage_of(world.pipeline, "signed")
    with unchanged(), pytest.raises(MissingFields) as exc:
        move_deal(actor=world.owner, deal=deal, stage=signed)
    assert exc.value.fields == ["amount", "expected_close_date"]
    assert exc.value.field == "amount"
    assert signed.name in exc.value.message
    for label in labels_for(["amount", "expected_close_date"]):
        assert label in exc.value.message


def test_move_deal_lists_only_the_fields_still_missing(world, deal):
    with unchanged(), pytest.raises(MissingFields) as exc:
        move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "signed"),
                  values={"amount": "1000"})
    assert exc.value.fields == ["expected_close_date"]


def test_move_deal_with_values_fills_the_required_fields_and_moves(world, deal):
    signed = stage_of(world.pipeline, "signed")
    move_deal(actor=world.owner, deal=deal, stage=signed,
              values={"amount": "120000", "expected_close_date": dt.date(2030, 3, 1)})
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage_id, stored.amount, stored.expected_close_date) == (
        signed.pk, Decimal("120000.00"), dt.date(2030, 3, 1))


def test_move_deal_rejects_a_negative_amount_in_values(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "proposal"),
                  values={"amount": "-5"})
    assert exc.value.field == "amount"


def test_move_deal_does_not_count_a_zero_amount_as_filled(world, deal):
    with unchanged(), pytest.raises(MissingFields) as exc:
        move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "proposal"),
                  values={"amount": "0"})
    assert exc.value.fields == ["amount"]


@pytest.fixture
def custom_stage(world):
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет клиента", field_type="money")
    return add_stage(actor=get_system_actor(), pipeline=world.pipeline, name="Бюджет согласован", slug="budget",
                     required_fields=["cf:budget", "client.inn"], position=2)


def test_move_deal_names_missing_custom_and_client_fields(world, deal, custom_stage):
    with unchanged(), pytest.raises(MissingFields) as exc:
        move_deal(actor=world.owner, deal=deal, stage=custom_stage)
    assert exc.value.fields == ["cf:budget", "client.inn"]
    assert "Бюджет клиента" in exc.value.message
    assert labels_for(["client.inn"])[0] in exc.value.message


def test_move_deal_fills_custom_and_client_fields_from_values(world, deal, custom_stage):
    move_deal(actor=world.owner, deal=deal, stage=custom_stage,
              values={"cf:budget": "150 000", "client.inn": "7701234567"})
    stored = Deal.objects.select_related("client").get(pk=deal.pk)
    assert stored.stage_id == custom_stage.pk
    assert stored.custom == {"budget": "150000.00"}
    assert stored.client.inn == "7701234567"


def test_move_deal_rejects_a_custom_value_of_the_wrong_type(world, deal, custom_stage):
    with unchanged(), pytest.raises(DomainError) as exc:
        move_deal(actor=world.owner, deal=deal, stage=custom_stage,
                  values={"cf:budget": "abc", "client.inn": "7701234567"})
    assert exc.value.field == "cf:budget"


def test_move_deal_rejects_a_bad_client_inn_and_keeps_the_client(world, deal, custom_stage):
    with unchanged(), pytest.raises(DomainError) as exc:
        move_deal(actor=world.owner, deal=deal, stage=custom_stage,
                  values={"cf:budget": "10", "client.inn": "12345"})
    assert exc.value.field == "client.inn"


def test_move_deal_of_another_manager_is_forbidden(world, deal):
    for intruder in (world.teammate, world.outsider):
        with unchanged(), pytest.raises(Forbidden):
            move_deal(actor=intruder, deal=deal, stage=stage_of(world.pipeline, "qualified"))


def test_move_deal_by_an_analyst_is_forbidden(world, deal):
    with unchanged(), pytest.raises(Forbidden):
        move_deal(actor=world.analyst, deal=deal, stage=stage_of(world.pipeline, "qualified"))


def test_a_lead_can_move_a_teammates_deal(world, deal):
    qualified = stage_of(world.pipeline, "qualified")
    move_deal(actor=world.lead, deal=deal, stage=qualified)
    assert Deal.objects.get(pk=deal.pk).stage_id == qualified.pk
    assert transitions_of(deal)[-1] == ("forward", deal.stage_id, qualified.pk)


def test_a_lead_cannot_move_a_deal_of_another_team(world):
    foreign = make_deal(world.outsider, world.pipeline)
    with unchanged(), pytest.raises(Forbidden):
        move_deal(actor=world.lead, deal=foreign, stage=stage_of(world.pipeline, "qualified"))


def test_the_head_can_move_any_deal(world):
    foreign = make_deal(world.outsider, world.pipeline)
    qualified = stage_of(world.pipeline, "qualified")
    move_deal(actor=world.head, deal=foreign, stage=qualified)
    assert Deal.objects.get(pk=foreign.pk).stage_id == qualified.pk


def test_a_conveyor_stage_hands_the_deal_and_its_open_tasks_to_the_stage_owner(world, deal):
    first_task = open_tasks(deal)[0]
    complete_task(actor=world.owner, task=first_task, outcome="result", comment="Дозвонились",
                  next_task=task_spec(title="Отправить материалы"))
    create_task(actor=world.owner, deal=deal, **task_spec(days=3, title="Напомнить"))
    demo = add_stage(actor=get_system_actor(), pipeline=world.pipeline, name="Демо проведено", slug="demo",
                     owner_user=world.teammate, position=2)

    move_deal(actor=world.owner, deal=deal, stage=demo)

    stored = Deal.objects.get(pk=deal.pk)
    assert stored.owner_id == world.teammate.pk
    assert {t.assignee_id for t in open_tasks(deal)} == {world.teammate.pk}
    first_task.refresh_from_db()
    assert first_task.assignee_id == world.owner.pk  # closed tasks keep their history
    handoff = Activity.objects.get(deal=deal, kind="system", data__event="handoff")
    assert (handoff.data["from"], handoff.data["to"], handoff.data["stage"]) == (
        world.owner.pk, world.teammate.pk, demo.pk)


def test_a_stage_without_owner_keeps_the_deal_owner(world, deal):
    move_deal(actor=world.lead, deal=deal, stage=stage_of(world.pipeline, "qualified"))
    assert Deal.objects.get(pk=deal.pk).owner_id == world.owner.pk
    assert not Activity.objects.filter(deal=deal, data__event="handoff").exists()


def test_a_stage_with_on_enter_task_creates_it_on_entry(world, deal):
    stage = add_stage(actor=get_system_actor(), pipeline=world.pipeline, name="Счёт выставлен", slug="invoice",
                      on_enter=["create_task_email"], position=2)
    move_deal(actor=world.owner, deal=deal, stage=stage)
    assert sorted(t.kind for t in open_tasks(deal)) == ["call", "email"]
