"""Conveyor stage owners by team (its lead, round-robin, least loaded) and by role, from the one turn store.

Each hand-off reassigns the deal and its open tasks, writes the timeline and keeps the client visible to the
new owner; an owner rule nobody can follow is refused on save, or, when people left since, leaves the deal
where it is with a timeline entry.
"""

from __future__ import annotations

import pytest

from tests.dbstate import stage_of
from tests.factories import make_deal, make_user
from voronka.accounts.models import AssignmentTurn, Role, Team, User
from voronka.accounts.permissions import is_visible
from voronka.activities.models import Activity, Task
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.services import move_deal
from voronka.pipelines.services import install_pipeline_template, update_stage


def _handed(world, stage, count: int, *, actor=None) -> list[str]:
    """Move ``count`` fresh deals of the outsider (team B) onto ``stage``; the new owners, in order."""
    actor = actor or world.outsider
    owners = []
    for _ in range(count):
        deal = make_deal(actor, world.pipeline)
        move_deal(actor=actor, deal=deal, stage=stage)
        owners.append(Deal.objects.select_related("owner").get(pk=deal.pk).owner.username)
    return owners


def _open_counts(users) -> dict[str, int]:
    """Open deals per user, counted here independently of the service's annotation."""
    return {u.username: Deal.objects.filter(owner=u, status="open").count() for u in users}


def test_round_robin_rotates_turns_among_active_members_and_skips_the_inactive(world):
    stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"), owner_team=world.team,
                         owner_mode="round_robin")
    # Team A by id: owner, teammate, lead (a manager-like role each); the head and the analyst have no team.
    assert _handed(world, stage, 4) == ["owner", "teammate", "lead", "owner"]
    User.objects.filter(pk=world.teammate.pk).update(is_active=False)
    assert _handed(world, stage, 3) == ["lead", "owner", "lead"]
    turn = AssignmentTurn.objects.get(key=f"team:{world.team.pk}")
    assert turn.last_assigned_id == world.lead.pk


def test_an_analyst_or_head_in_the_team_takes_no_turn(world):
    make_user("analyst_a", role=Role.ANALYST, team=world.team)
    make_user("head_a", role=Role.HEAD, team=world.team)
    stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"), owner_team=world.team,
                         owner_mode="round_robin")
    assert set(_handed(world, stage, 6)) == {"owner", "teammate", "lead"}


def test_least_loaded_picks_the_member_with_the_fewest_open_deals(world):
    for user, count in ((world.owner, 3), (world.teammate, 2), (world.lead, 1)):
        for _ in range(count):
            make_deal(user, world.pipeline)
    stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"), owner_team=world.team,
                         owner_mode="least_loaded")
    members = [world.owner, world.teammate, world.lead]
    picked = []
    for _ in range(5):
        before = _open_counts(members)
        [who] = _handed(world, stage, 1)
        assert before[who] == min(before.values()), (who, before)
        picked.append(who)
    # lead 1 -> 2 ties teammate: the turn after lead goes round to owner (3), then teammate
    assert picked[:3] == ["lead", "teammate", "lead"]
    after = _open_counts(members)
    assert sum(after.values()) == 6 + 5 and max(after.values()) - min(after.values()) <= 1


def test_a_deal_already_with_a_member_stays_and_takes_no_turn(world):
    stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"), owner_team=world.team,
                         owner_mode="round_robin")
    deal = make_deal(world.teammate, world.pipeline)
    move_deal(actor=world.teammate, deal=deal, stage=stage)
    assert Deal.objects.get(pk=deal.pk).owner_id == world.teammate.pk
    assert not AssignmentTurn.objects.filter(key=f"team:{world.team.pk}").exists()


def test_the_hand_off_moves_open_tasks_writes_the_timeline_and_shows_the_client(world):
    stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"), owner_team=world.team,
                         owner_mode="round_robin")
    deal = make_deal(world.outsider, world.pipeline)
    assert not is_visible(world.owner, deal.client)
    move_deal(actor=world.outsider, deal=deal, stage=stage)
    deal.refresh_from_db()
    assert deal.owner_id == world.owner.pk and deal.owner_team_id == world.team.pk
    assert set(Task.objects.filter(deal=deal, status="open").values_list("assignee_id", flat=True)) == {world.owner.pk}
    [entry] = Activity.objects.filter(deal=deal, data__event="handoff")
    assert entry.data["to"] == world.owner.pk and entry.data["mode"] == "round_robin"
    assert "Team A" in entry.body
    assert is_visible(world.owner, deal.client)


def test_a_role_goes_to_its_people_in_the_deals_team_first_else_to_anyone_with_it(world):
    make_user("lead_b", role=Role.LEAD, team=world.other_team)
    stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"), owner_role="lead")
    assert stage.owner_mode == "round_robin"  # the default way for a role
    assert _handed(world, stage, 2) == ["lead_b", "lead_b"]  # the outsider's team B has a lead
    assert _handed(world, stage, 1, actor=world.owner) == ["lead"]  # team A's own lead
    loner = make_user("loner")  # no team: every active lead, in turn
    assert _handed(world, stage, 2, actor=loner) == ["lead", "lead_b"]
    head_stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "proposal"), owner_role="head",
                              owner_mode="least_loaded")
    deal = make_deal(world.owner, world.pipeline, values={"amount": "100"})
    move_deal(actor=world.owner, deal=deal, stage=head_stage)
    assert Deal.objects.get(pk=deal.pk).owner_id == world.head.pk  # no head in team A: the company's head
    assert AssignmentTurn.objects.filter(key__startswith="role:lead").count() == 3


def test_the_team_lead_mode_stays_the_default_for_a_team(world):
    stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"), owner_team=world.team)
    assert stage.owner_mode == "lead"
    assert _handed(world, stage, 2) == ["lead", "lead"]


@pytest.mark.parametrize(("fields", "field", "code"), [
    ({"owner_team": "empty", "owner_mode": "round_robin"}, "owner_team", "team_empty"),
    ({"owner_team": "empty", "owner_mode": "least_loaded"}, "owner_team", "team_empty"),
    ({"owner_team": "other", "owner_mode": "lead"}, "owner_mode", "no_team_lead"),
    ({"owner_role": "wizard"}, "owner_role", "unknown_role"),
    ({"owner_role": "analyst"}, "owner_role", "unknown_role"),
    ({"owner_role": "head", "_no_head": True}, "owner_role", "role_empty"),
    ({"owner_team": "team", "owner_user": "teammate"}, "owner_team", "owner_ambiguous"),
    ({"owner_role": "lead", "owner_team": "team"}, "owner_role", "owner_ambiguous"),
    ({"owner_user": "teammate", "owner_mode": "round_robin"}, "owner_mode", None),
    ({"owner_role": "lead", "owner_mode": "lead"}, "owner_mode", None),
    ({"owner_mode": "least_loaded"}, "owner_mode", None),
    ({"owner_team": "team", "owner_mode": "random"}, "owner_mode", None),
])
def test_an_owner_rule_that_cannot_be_followed_is_refused_on_save(world, fields, field, code):
    empty = Team.objects.create(name="Team C")
    make_user("gone", team=empty, is_active=False)
    make_user("analyst_c", role=Role.ANALYST, team=empty)
    if fields.pop("_no_head", False):
        User.objects.filter(pk=world.head.pk).update(is_active=False)
    teams = {"empty": empty, "other": world.other_team, "team": world.team}
    values = {k: teams[v] if k == "owner_team" else world.teammate if k == "owner_user" else v
              for k, v in fields.items()}
    stage = stage_of(world.pipeline, "qualified")
    with pytest.raises(DomainError) as exc:
        update_stage(actor=world.admin, stage=stage, **values)
    assert exc.value.field == field
    if code:
        assert exc.value.code == code
    stored = type(stage).objects.get(pk=stage.pk)
    assert (stored.owner_team_id, stored.owner_user_id, stored.owner_role, stored.owner_mode) == (None, None, "", "")


def test_people_gone_since_the_save_leave_the_deal_with_its_owner_and_say_so(world):
    team_c = Team.objects.create(name="Team C")
    member = make_user("member_c", team=team_c)
    stage = update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"), owner_team=team_c,
                         owner_mode="least_loaded")
    User.objects.filter(pk=member.pk).update(is_active=False)
    deal = make_deal(world.outsider, world.pipeline)
    move_deal(actor=world.outsider, deal=deal, stage=stage)
    deal.refresh_from_db()
    assert deal.owner_id == world.outsider.pk and deal.stage_id == stage.pk
    [entry] = Activity.objects.filter(deal=deal, data__event="handoff_failed")
    assert "Team C" in entry.body and "outsider" in entry.body
    assert not Activity.objects.filter(deal=deal, data__event="handoff").exists()


def test_a_pipeline_template_sets_owner_rules_and_is_checked_like_a_save(world, monkeypatch):
    from voronka.pipelines import services

    blueprint = {"name": "Conveyor", "slug": "conveyor", "kind": "custom", "stages": [
        {"slug": "new", "name": "Заявка получена"},
        {"slug": "demo", "name": "Демо проведено", "owner_team": "Team A", "owner_mode": "least_loaded"},
        {"slug": "sign", "name": "Договор подписан", "owner_role": "head"},
    ]}
    monkeypatch.setattr(services, "load_blueprint", lambda name: __import__("copy").deepcopy(blueprint))
    pipeline = install_pipeline_template(actor=world.admin, name="conveyor")
    stages = {s.slug: s for s in pipeline.stages.all()}
    assert (stages["demo"].owner_team_id, stages["demo"].owner_mode) == (world.team.pk, "least_loaded")
    assert (stages["sign"].owner_role, stages["sign"].owner_mode) == ("head", "round_robin")
    blueprint["slug"] = "conveyor-2"
    blueprint["stages"][1]["owner_team"] = "Team Z"
    with pytest.raises(DomainError) as exc:
        install_pipeline_template(actor=world.admin, name="conveyor")
    assert exc.value.field == "owner_team"
    blueprint["stages"][1] = {"slug": "demo", "name": "Демо проведено", "owner_role": "wizard"}
    with pytest.raises(DomainError) as exc:
        install_pipeline_template(actor=world.admin, name="conveyor")
    assert exc.value.code == "unknown_role"
