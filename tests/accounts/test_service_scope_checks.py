"""Every object a service receives is scope-checked: the API, imports and automation call services directly.

Each case calls a service as a manager (``owner``) and as a team lead (``lead`` of the owner's team) with one
object from outside their scope (the ``outsider``'s client, contact, deal, or the outsider himself as owner,
assignee or responsible manager) and asserts the refusal, with the field named, and an unchanged database.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.accounts.services import create_team, reset_user_password, update_team, update_user
from voronka.activities.services import add_timeline_entry, complete_task, create_task, update_task
from voronka.clients.models import Client, Contact
from voronka.clients.services import add_contact, create_client, update_client
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.services import create_deal, lose_deal, reassign_deal, reopen_deal, update_deal

pytestmark = pytest.mark.django_db


@dataclass
class Cast:
    world: object
    deal: Deal  # a deal of the owner: in scope of the owner and of his lead
    client: Client  # its client
    contact: Contact  # a contact of that client
    foreign_client: Client  # the outsider's client (another team)
    foreign_contact: Contact
    foreign_deal: Deal


@pytest.fixture
def cast(world) -> Cast:
    deal = make_deal(world.owner, world.pipeline)
    contact = add_contact(actor=world.owner, client=deal.client, name="Анна")
    foreign_deal = make_deal(world.outsider, world.pipeline)
    foreign_contact = add_contact(actor=world.outsider, client=foreign_deal.client, name="Борис")
    return Cast(world=world, deal=deal, client=deal.client, contact=contact, foreign_client=foreign_deal.client,
                foreign_contact=foreign_contact, foreign_deal=foreign_deal)


def _deal(c: Cast, actor, **kw):
    kw.setdefault("client", c.client)
    return create_deal(actor=actor, title="Новая", pipeline=c.world.pipeline, first_task=task_spec(), **kw)


CASES = {
    # deals
    "create_deal: a client of another team": (lambda c, a: _deal(c, a, client=c.foreign_client), "client"),
    "create_deal: an owner of another team": (lambda c, a: _deal(c, a, owner=c.world.outsider), "owner"),
    "create_deal: a contact of another client": (
        lambda c, a: _deal(c, a, values={"contact": c.foreign_contact.pk}), "contact"),
    "create_deal: a first task for another team": (
        lambda c, a: create_deal(actor=a, title="Новая", pipeline=c.world.pipeline, client=c.client,
                                 first_task=task_spec(assignee=c.world.outsider)), "task_assignee"),
    "update_deal: a contact of another client": (
        lambda c, a: update_deal(actor=a, deal=c.deal, values={"contact": c.foreign_contact}), "contact"),
    "reassign_deal: to another team": (lambda c, a: reassign_deal(actor=a, deal=c.deal, owner=c.world.outsider),
                                       "owner"),
    "update_deal: a deal of another team": (
        lambda c, a: update_deal(actor=a, deal=c.foreign_deal, values={"title": "Моя"}), None),
    # tasks and the timeline
    "create_task: assigned to another team": (
        lambda c, a: create_task(actor=a, deal=c.deal, assignee=c.world.outsider, **task_spec()), "assignee"),
    "create_task: assigned by id to another team": (
        lambda c, a: create_task(actor=a, deal=c.deal, assignee=c.world.outsider.pk, **task_spec()), "assignee"),
    "create_task: on a deal of another team": (
        lambda c, a: create_task(actor=a, deal=c.foreign_deal, **task_spec()), None),
    "create_task: on a client of another team": (
        lambda c, a: create_task(actor=a, client=c.foreign_client, **task_spec()), None),
    "create_task: a deal with another client": (
        lambda c, a: create_task(actor=a, deal=c.deal, client=c.foreign_client, **task_spec()), "client"),
    "update_task: reassigned to another team": (
        lambda c, a: update_task(actor=a, task=c.deal.tasks.get(), assignee=c.world.outsider), "assignee"),
    "complete_task: the next task for another team": (
        lambda c, a: complete_task(actor=a, task=c.deal.tasks.get(), outcome="result", comment="Созвонились",
                                   next_task=task_spec(assignee=c.world.outsider)), "next_assignee"),
    "add_timeline_entry: a client of another team": (
        lambda c, a: add_timeline_entry(actor=a, kind="note", body="Заметка", client=c.foreign_client), None),
    "add_timeline_entry: a deal with another client": (
        lambda c, a: add_timeline_entry(actor=a, kind="note", body="Заметка", deal=c.deal,
                                        client=c.foreign_client), "client"),
    # clients
    "create_client: responsible of another team": (
        lambda c, a: create_client(actor=a, name="ООО Чужое", responsible=c.world.outsider), "responsible"),
    "update_client: responsible of another team": (
        lambda c, a: update_client(actor=a, client=c.client, responsible=c.world.outsider), "responsible"),
    "update_client: a client of another team": (
        lambda c, a: update_client(actor=a, client=c.foreign_client, name="Моё"), None),
    "add_contact: to a client of another team": (
        lambda c, a: add_contact(actor=a, client=c.foreign_client, name="Вера"), None),
}


@pytest.mark.parametrize("role", ["owner", "lead"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_service_refuses_an_out_of_scope_object(cast, role, case):
    call, field = CASES[case]
    actor = getattr(cast.world, role)
    with unchanged(), pytest.raises(DomainError) as exc:
        call(cast, actor)
    if field is not None:
        assert exc.value.field == field
    assert exc.value.status in (400, 403, 404)


@pytest.mark.parametrize("case", [
    "create_deal: an owner of another team", "create_task: assigned to another team",
    "update_task: reassigned to another team", "create_client: responsible of another team",
])
def test_a_manager_cannot_hand_records_to_a_teammate(cast, case):
    """A manager's scope is his own: even a teammate is outside it (the lead may)."""
    world = cast.world
    world.outsider = world.teammate
    with unchanged(), pytest.raises(DomainError):
        CASES[case][0](cast, world.owner)


def test_the_lead_may_hand_records_within_his_team(cast):
    world = cast.world
    task = create_task(actor=world.lead, deal=cast.deal, assignee=world.teammate, **task_spec())
    update_task(actor=world.lead, task=task, assignee=world.owner)
    deal = _deal(cast, world.lead, owner=world.teammate, values={"contact": cast.contact.pk})
    assert (deal.owner, deal.contact) == (world.teammate, cast.contact)


def test_an_edit_that_keeps_the_assignee_needs_no_assign_right(cast):
    """The deal owner may retitle a task his lead gave to a teammate without re-assigning it."""
    world = cast.world
    task = create_task(actor=world.lead, deal=cast.deal, assignee=world.teammate, **task_spec())
    update_task(actor=world.owner, task=task, title="Перезвонить", assignee=world.teammate.pk)
    task.refresh_from_db()
    assert (task.title, task.assignee) == ("Перезвонить", world.teammate)


def test_a_foreign_client_is_not_confirmed_to_exist(cast):
    with pytest.raises(DomainError) as exc:
        _deal(cast, cast.world.owner, client=cast.foreign_client)
    assert exc.value.status == 404


def test_a_client_of_a_teammate_is_within_the_leads_scope(cast):
    world = cast.world
    other = make_client(world.teammate)
    deal = _deal(cast, world.lead, client=other, owner=world.teammate)
    assert deal.client == other


@pytest.mark.parametrize("call", [
    lambda w: update_user(actor=w.admin, user=w.system, role="admin", team=None, is_active=False),
    lambda w: reset_user_password(actor=w.admin, user=w.system, password="Very-long-pass-2026"),
    lambda w: create_team(actor=w.admin, name="Team C", lead=w.system),
    lambda w: update_team(actor=w.admin, team=w.team, name="Team A", lead=w.system),
])
def test_account_services_refuse_the_system_actor_as_a_person(world, call):
    with unchanged(), pytest.raises(DomainError):
        call(world)


@pytest.mark.parametrize("role", ["owner", "lead"])
def test_reopen_deal_refuses_a_task_for_another_team(cast, role):
    lose_deal(actor=cast.world.owner, deal=cast.deal, reason=cast.world.reason)
    with unchanged(), pytest.raises(DomainError) as exc:
        reopen_deal(actor=getattr(cast.world, role), deal=Deal.objects.get(pk=cast.deal.pk),
                    task=task_spec(assignee=cast.world.outsider.pk))
    assert exc.value.field == "task_assignee"
