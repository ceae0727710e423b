"""create_task, update_task and timeline entries: validated input, scope, nothing written on refusal."""

from __future__ import annotations

import pytest

from tests.dbstate import open_tasks, unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.activities.models import Activity, Task
from voronka.activities.services import add_timeline_entry, create_task, update_task
from voronka.core.errors import DomainError, Forbidden


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline)


def test_create_task_on_a_deal_assigns_the_deal_owner_and_links_the_client(world, deal):
    task = create_task(actor=world.lead, deal=deal, **task_spec(title="Созвон с ЛПР"))
    assert (task.assignee_id, task.client_id, task.created_by_id, task.status) == (
        world.owner.pk, deal.client_id, world.lead.pk, "open")


@pytest.mark.parametrize(("spec", "field"), [
    (task_spec(title=""), "title"),
    (task_spec(title="   "), "title"),
    (task_spec(kind="telepathy"), "kind"),
    ({"title": "Позвонить"}, "due_date"),
    (task_spec(due_date="31.12.2030"), "due_date"),
    (task_spec(assignee=987654), "assignee"),
])
def test_create_task_rejects_bad_input_and_writes_nothing(world, deal, spec, field):
    with unchanged(), pytest.raises(DomainError) as exc:
        create_task(actor=world.owner, deal=deal, **spec)
    assert exc.value.field == field


def test_create_task_rejects_unknown_keys(world, deal):
    with unchanged(), pytest.raises(DomainError):
        create_task(actor=world.owner, deal=deal, **task_spec(priority="high"))


def test_create_task_needs_a_deal_or_a_client(world):
    with unchanged(), pytest.raises(DomainError) as exc:
        create_task(actor=world.owner, **task_spec())
    assert exc.value.field == "deal"


def test_create_task_outside_the_scope_is_forbidden(world, deal):
    for intruder in (world.teammate, world.outsider, world.analyst):
        with unchanged(), pytest.raises(Forbidden):
            create_task(actor=intruder, deal=deal, **task_spec())


def test_update_task_changes_an_open_task_and_validates_the_title(world, deal):
    task = open_tasks(deal)[0]
    update_task(actor=world.owner, task=task, title="Перезвонить", kind="email")
    stored = Task.objects.get(pk=task.pk)
    assert (stored.title, stored.kind) == ("Перезвонить", "email")
    with unchanged(), pytest.raises(DomainError) as exc:
        update_task(actor=world.owner, task=stored, title="")
    assert exc.value.field == "title"


def test_add_timeline_entry_needs_text_and_a_known_kind(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        add_timeline_entry(actor=world.owner, kind="note", body="  ", deal=deal)
    assert exc.value.field == "body"
    with unchanged(), pytest.raises(DomainError) as exc:
        add_timeline_entry(actor=world.owner, kind="system", body="Подделка", deal=deal)
    assert exc.value.field == "kind"
    entry = add_timeline_entry(actor=world.owner, kind="note", body="Клиент просил скидку", deal=deal)
    assert Activity.objects.get(pk=entry.pk).client_id == deal.client_id


def test_add_timeline_entry_outside_the_scope_is_forbidden(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(Forbidden):
        add_timeline_entry(actor=world.outsider, kind="note", body="Чужой клиент", client=client)
