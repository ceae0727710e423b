"""Deals are handed only to people within the actor's scope."""

import pytest

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.core.errors import Forbidden
from voronka.deals.services import create_deal, reassign_deal


def test_a_manager_cannot_create_a_deal_owned_by_another_team(world):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(Forbidden) as exc:
        create_deal(actor=world.owner, title="Чужая", pipeline=world.pipeline, client=client,
                    first_task=task_spec(), owner=world.outsider)
    assert exc.value.field == "owner"


def test_a_manager_cannot_hand_his_deal_to_someone_else(world):
    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(Forbidden):
        reassign_deal(actor=world.owner, deal=deal, owner=world.teammate)


def test_a_lead_hands_deals_within_his_team_but_not_outside(world):
    deal = make_deal(world.owner, world.pipeline)
    reassign_deal(actor=world.lead, deal=deal, owner=world.teammate)
    deal.refresh_from_db()
    assert deal.owner == world.teammate
    with pytest.raises(Forbidden):
        reassign_deal(actor=world.lead, deal=deal, owner=world.outsider)


def test_the_head_hands_deals_to_anyone(world):
    deal = make_deal(world.owner, world.pipeline)
    reassign_deal(actor=world.head, deal=deal, owner=world.outsider)
    deal.refresh_from_db()
    assert deal.owner == world.outsider
