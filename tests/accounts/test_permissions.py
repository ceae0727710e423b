"""require_perm and scope_q: one place decides who may see and change what."""

from __future__ import annotations

import pytest

from tests.factories import make_client, make_deal, task_spec
from voronka.accounts.models import Scope
from voronka.accounts.permissions import require_perm, scope_q
from voronka.activities.services import create_task
from voronka.core.errors import Forbidden
from voronka.deals.models import Deal


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline)


def test_roles_map_to_scopes(world):
    assert [u.scope for u in (world.owner, world.lead, world.head, world.analyst, world.admin)] == [
        Scope.OWN, Scope.TEAM, Scope.ALL, Scope.ALL, Scope.ALL]


@pytest.mark.parametrize(("who", "allowed"), [
    ("owner", True), ("teammate", False), ("outsider", False), ("lead", True), ("head", True),
    ("admin", True), ("analyst", False),
])
def test_who_may_change_a_managers_deal(world, deal, who, allowed):
    actor = getattr(world, who)
    if allowed:
        require_perm(actor, "change", deal)
    else:
        with pytest.raises(Forbidden):
            require_perm(actor, "change", deal)


@pytest.mark.parametrize(("who", "allowed"), [
    ("owner", True), ("teammate", False), ("lead", True), ("head", True), ("analyst", True),
])
def test_who_may_view_a_managers_deal(world, deal, who, allowed):
    actor = getattr(world, who)
    if allowed:
        require_perm(actor, "view", deal)
    else:
        with pytest.raises(Forbidden):
            require_perm(actor, "view", deal)


def test_an_analyst_may_not_change_anything(world, deal):
    for obj in (None, deal, deal.client, deal.tasks.get()):
        with pytest.raises(Forbidden):
            require_perm(world.analyst, "change", obj)


def test_only_admins_may_configure(world):
    require_perm(world.admin, "configure")
    for who in ("owner", "lead", "head", "analyst"):
        with pytest.raises(Forbidden):
            require_perm(getattr(world, who), "configure")


def test_an_inactive_or_missing_user_may_do_nothing(world, deal):
    world.owner.is_active = False
    with pytest.raises(Forbidden):
        require_perm(world.owner, "view", deal)
    with pytest.raises(Forbidden):
        require_perm(None, "view")


def test_a_lead_without_a_team_sees_only_their_own(world, deal):
    world.lead.team = None
    world.lead.save()
    own = make_deal(world.lead, world.pipeline)
    assert set(Deal.objects.filter(scope_q(world.lead, "deals.Deal")).values_list("pk", flat=True)) == {own.pk}


def test_a_task_assignee_may_change_the_task_but_not_the_deal(world, deal):
    task = create_task(actor=world.lead, deal=deal, assignee=world.teammate, **task_spec())
    require_perm(world.teammate, "change", task)
    with pytest.raises(Forbidden):
        require_perm(world.teammate, "change", deal)


def test_the_responsible_manager_owns_the_client(world):
    client = make_client(world.teammate)
    require_perm(world.teammate, "change", client)
    require_perm(world.lead, "change", client)
    with pytest.raises(Forbidden):
        require_perm(world.owner, "change", client)
