"""create_deal: a deal starts with its first task, on a stage of its pipeline, with the stage's fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.dbstate import open_tasks, stage_of, transitions_of, unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.accounts.services import get_system_actor
from voronka.activities.models import Activity
from voronka.audit.models import AuditEntry
from voronka.catalog.models import CustomFieldDefinition
from voronka.core.errors import DomainError, Forbidden, MissingFields
from voronka.deals.models import StageTransition
from voronka.deals.services import InvalidTransition, create_deal
from voronka.pipelines.services import add_stage


def _create(world, client=None, **kwargs):
    kwargs.setdefault("title", "Перевод сайта")
    kwargs.setdefault("first_task", task_spec())
    kwargs.setdefault("actor", world.owner)
    return create_deal(pipeline=kwargs.pop("pipeline", world.pipeline), client=client or make_client(world.owner),
                       **kwargs)


def test_create_deal_opens_the_deal_on_the_first_stage_with_its_first_task(world):
    deal = make_deal(world.owner, world.pipeline)
    first = stage_of(world.pipeline, "received")
    assert (deal.status, deal.stage_id, deal.version, deal.owner_id) == ("open", first.pk, 1, world.owner.pk)
    assert deal.closed_at is None
    [task] = open_tasks(deal)
    assert (task.title, task.assignee_id, task.client_id) == ("Позвонить", world.owner.pk, deal.client_id)


def test_create_deal_writes_one_created_transition_and_a_system_activity(world):
    deal = make_deal(world.owner, world.pipeline)
    assert transitions_of(deal) == [("created", None, deal.stage_id)]
    transition = StageTransition.objects.get(deal=deal)
    assert (transition.by_user_id, transition.seconds_in_from_stage) == (world.owner.pk, 0)
    assert Activity.objects.filter(deal=deal, kind="system", data__event="created").count() == 1
    assert AuditEntry.objects.filter(action="deal.created", object_id=str(deal.pk)).count() == 1


@pytest.mark.parametrize("first_task", [None, {}])
def test_create_deal_without_first_task_raises_missing_fields_and_writes_nothing(world, first_task):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(MissingFields) as exc:
        _create(world, client=client, first_task=first_task)
    assert exc.value.fields == ["task_title", "task_due_date"]


def test_create_deal_rejects_a_first_task_without_title(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        _create(world, client=client, first_task=task_spec(title="  "))
    assert exc.value.field == "task_title"


def test_create_deal_rejects_a_first_task_without_due_date(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        _create(world, client=client, first_task={"title": "Позвонить"})
    assert exc.value.field == "task_due_date"


def test_create_deal_rejects_an_empty_title(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        _create(world, client=client, title="   ")
    assert exc.value.field == "title"


def test_create_deal_rejects_a_negative_amount(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        _create(world, client=client, values={"amount": "-1"})
    assert exc.value.field == "amount"


def test_create_deal_rejects_an_amount_that_is_not_a_number(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        _create(world, client=client, values={"amount": "много"})
    assert exc.value.field == "amount"


def test_create_deal_rejects_an_unknown_stage_id(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        _create(world, client=client, stage=987654)
    assert (exc.value.field, exc.value.code) == ("stage", "unknown_stage")


def test_create_deal_rejects_a_stage_of_another_pipeline(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(InvalidTransition) as exc:
        _create(world, client=client, stage=stage_of(world.other_pipeline, "letter"))
    assert exc.value.field == "stage"


def test_create_deal_on_a_stage_with_required_fields_names_the_empty_ones(world):
    client = make_client(world.owner)
    signed = stage_of(world.pipeline, "signed")
    with unchanged(), pytest.raises(MissingFields) as exc:
        _create(world, client=client, stage=signed, values={"amount": "100"})
    assert exc.value.fields == ["expected_close_date"]


def test_create_deal_on_a_stage_with_required_fields_accepts_their_values(world):
    signed = stage_of(world.pipeline, "signed")
    deal = _create(world, stage=signed, values={"amount": "250 000,50", "expected_close_date": "2030-01-31"})
    deal.refresh_from_db()
    assert (deal.stage_id, deal.amount, deal.expected_close_date) == (
        signed.pk, Decimal("250000.50"), dt.date(2030, 1, 31))
    assert transitions_of(deal) == [("created", None, signed.pk)]


def test_create_deal_rejects_an_unknown_custom_field(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        _create(world, client=client, values={"cf:nope": "1"})
    assert exc.value.field == "cf:nope"


def test_create_deal_rejects_a_custom_value_of_the_wrong_type(world):
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        _create(world, client=client, values={"cf:budget": "abc"})
    assert exc.value.field == "cf:budget"


def test_create_deal_rejects_an_unknown_deal_field(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        _create(world, client=client, values={"colour": "red"})
    assert exc.value.field == "colour"


def test_create_deal_by_an_analyst_is_forbidden(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(Forbidden):
        _create(world, client=client, actor=world.analyst)


def test_create_deal_on_a_conveyor_stage_hands_the_deal_to_the_stage_owner(world):
    stage = add_stage(actor=get_system_actor(), pipeline=world.pipeline, name="Демо проведено", slug="demo",
                      owner_user=world.teammate, position=2)
    deal = _create(world, stage=stage)
    deal.refresh_from_db()
    assert deal.owner_id == world.teammate.pk
    assert [t.assignee_id for t in open_tasks(deal)] == [world.teammate.pk]
