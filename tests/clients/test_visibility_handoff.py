"""Conveyor hand-off keeps the work visible (docs/architecture.md, "Who sees a client").

A user sees a client when he is its responsible manager or owns one of its open deals (a lead: when someone
of his team is; head, admin, analyst: always). The stage owner who takes a deal can open its client; the
previous owner, with no open deal of that client left and not responsible, no longer sees it.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_client, make_deal, make_user
from voronka.accounts.models import Role
from voronka.accounts.permissions import require_perm
from voronka.clients.selectors import get_client, visible_clients
from voronka.clients.services import update_client
from voronka.core.errors import Forbidden, NotFound
from voronka.deals.models import Deal
from voronka.deals.services import lose_deal, move_deal
from voronka.pipelines.services import update_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed(world):
    """The owner's deal of a client the teammate is responsible for, handed off to the outsider (team B)."""
    client = make_client(world.lead, responsible=world.teammate)
    deal = make_deal(world.lead, world.pipeline, client=client, owner=world.owner)
    stage = world.pipeline.stages.get(slug="qualified")
    update_stage(actor=world.admin, stage=stage, owner_user=world.outsider)
    world.lead_b = make_user("lead_b", role=Role.LEAD, team=world.other_team)
    assert get_client(actor=world.owner, client_id=client.pk) == client  # owner of an open deal: sees it
    deal = move_deal(actor=world.owner, deal=deal, stage=stage)
    assert deal.owner == world.outsider
    return client, deal


def _card(http, user, client):
    http.force_login(user)
    return http.get(reverse("clients:detail", args=[client.pk])).status_code


def test_the_new_owner_opens_the_client_card(client, world, handed):
    c, _deal = handed
    assert _card(client, world.outsider, c) == 200
    assert c in visible_clients(actor=world.outsider)
    require_perm(world.outsider, "change", c)


def test_the_previous_owner_no_longer_sees_the_client(client, world, handed):
    c, _deal = handed
    assert _card(client, world.owner, c) == 404
    assert c not in visible_clients(actor=world.owner)
    with pytest.raises(NotFound):
        get_client(actor=world.owner, client_id=c.pk)
    with pytest.raises(Forbidden):
        update_client(actor=world.owner, client=c, name="Чужой")


def test_the_responsible_manager_and_his_lead_keep_seeing_it(client, world, handed):
    c, _deal = handed
    assert _card(client, world.teammate, c) == 200
    assert _card(client, world.lead, c) == 200


def test_the_new_owners_lead_sees_it_through_his_teams_open_deal(client, world, handed):
    c, _deal = handed
    assert _card(client, world.lead_b, c) == 200
    assert c in visible_clients(actor=world.lead_b)


def test_a_closed_deal_does_not_keep_the_client_visible(world, handed):
    c, deal = handed
    lose_deal(actor=world.outsider, deal=Deal.objects.get(pk=deal.pk), reason=world.reason)
    assert c not in visible_clients(actor=world.outsider)
    assert c not in visible_clients(actor=world.lead_b)
    assert c in visible_clients(actor=world.teammate)


def test_a_previous_owner_who_is_responsible_keeps_the_client(world):
    c = make_client(world.owner)
    stage = world.pipeline.stages.get(slug="qualified")
    update_stage(actor=world.admin, stage=stage, owner_user=world.outsider)
    move_deal(actor=world.owner, deal=make_deal(world.owner, world.pipeline, client=c), stage=stage)
    assert c in visible_clients(actor=world.owner) and c in visible_clients(actor=world.outsider)


def _list_queries(http) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(reverse("clients:list"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_client_list_of_a_stage_owner_runs_constant_queries(client, world):
    """Clients seen through open deals cost no query per row."""
    stage = world.pipeline.stages.get(slug="qualified")
    update_stage(actor=world.admin, stage=stage, owner_user=world.outsider)

    def hand(n):
        for _ in range(n):
            move_deal(actor=world.owner, deal=make_deal(world.owner, world.pipeline), stage=stage)

    client.force_login(world.outsider)
    hand(3)
    small = _list_queries(client)
    hand(7)
    assert _list_queries(client) == small
    assert visible_clients(actor=world.outsider).count() == 10
