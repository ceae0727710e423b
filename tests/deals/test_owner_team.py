"""Deal.owner_team: a snapshot of the owner's team for team reports; team scope follows the current team."""

from __future__ import annotations

from tests.dbstate import stage_of
from tests.factories import make_deal
from voronka.accounts.models import Team
from voronka.deals.models import Deal
from voronka.deals.selectors import visible_deals
from voronka.deals.services import move_deal, reassign_deal
from voronka.pipelines.services import update_stage


def test_create_snapshots_the_owners_team(world):
    deal = make_deal(world.owner, world.pipeline)
    assert Deal.objects.get(pk=deal.pk).owner_team_id == world.team.pk


def test_a_deal_keeps_its_team_when_the_manager_changes_team(world):
    deal = make_deal(world.owner, world.pipeline)
    world.owner.team = world.other_team
    world.owner.save(update_fields=["team"])
    assert Deal.objects.get(pk=deal.pk).owner_team_id == world.team.pk
    later = make_deal(world.owner, world.pipeline)
    assert Deal.objects.get(pk=later.pk).owner_team_id == world.other_team.pk


def test_team_scope_follows_the_owners_current_team(world):
    deal = make_deal(world.owner, world.pipeline)
    other_lead = world.outsider.__class__.objects.create_user("lead_b", password="x", role="lead",
                                                             team=world.other_team)
    assert visible_deals(actor=world.lead).filter(pk=deal.pk).exists()
    world.owner.team = world.other_team
    world.owner.save(update_fields=["team"])
    # The lead sees his current people's deals; the snapshot stays for the reports of team A.
    assert not visible_deals(actor=world.lead).filter(pk=deal.pk).exists()
    assert visible_deals(actor=other_lead).filter(pk=deal.pk).exists()
    assert Deal.objects.get(pk=deal.pk).owner_team_id == world.team.pk


def test_reassign_takes_the_new_owners_team(world):
    deal = make_deal(world.owner, world.pipeline)
    reassign_deal(actor=world.head, deal=deal, owner=world.outsider)
    assert Deal.objects.get(pk=deal.pk).owner_team_id == world.other_team.pk


def test_reassign_to_a_user_without_team_clears_the_snapshot(world):
    deal = make_deal(world.owner, world.pipeline)
    reassign_deal(actor=world.head, deal=deal, owner=world.head)
    assert Deal.objects.get(pk=deal.pk).owner_team_id is None


def test_conveyor_hand_off_takes_the_stage_owners_team(world):
    qualified = stage_of(world.pipeline, "qualified")
    update_stage(actor=world.admin, stage=qualified, owner_user=world.outsider)
    deal = make_deal(world.owner, world.pipeline)
    move_deal(actor=world.owner, deal=deal, stage=qualified)
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.owner_id, stored.owner_team_id) == (world.outsider.pk, world.other_team.pk)


def test_hand_off_on_creation_takes_the_stage_owners_team(world):
    first = stage_of(world.pipeline, "received")
    team_c = Team.objects.create(name="Team C")
    world.teammate.team = team_c
    world.teammate.save(update_fields=["team"])
    update_stage(actor=world.admin, stage=first, owner_user=world.teammate)
    deal = make_deal(world.owner, world.pipeline)
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.owner_id, stored.owner_team_id) == (world.teammate.pk, team_c.pk)
