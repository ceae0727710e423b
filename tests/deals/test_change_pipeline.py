"""change_deal_pipeline: an open deal moves to a stage of another pipeline, with a pipeline_change log row."""

from __future__ import annotations

import pytest

from tests.dbstate import stage_of, unchanged
from tests.factories import make_deal
from voronka.activities.models import Activity
from voronka.audit.models import AuditEntry
from voronka.core.errors import DomainError, Forbidden, MissingFields
from voronka.deals.models import Deal, StageTransition, TransitionKind
from voronka.deals.selectors import reached_stage_q
from voronka.deals.services import StaleDeal, change_deal_pipeline, lose_deal, move_deal
from voronka.pipelines.services import add_stage, archive_stage, update_stage


@pytest.fixture
def deal(world):
    deal = make_deal(world.owner, world.pipeline)
    return move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "qualified"))


def test_change_moves_to_the_first_stage_and_logs_the_new_pipeline(world, deal):
    moved = change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline)
    stored = Deal.objects.get(pk=deal.pk)
    base = stage_of(world.other_pipeline, "base")
    assert (stored.pipeline_id, stored.stage_id, stored.furthest_stage_id) == (world.other_pipeline.pk, base.pk,
                                                                              base.pk)
    assert stored.version == deal.version + 1 == moved.version
    assert stored.stage_entered_at > deal.stage_entered_at
    last = StageTransition.objects.filter(deal=deal).order_by("-id").first()
    assert (last.kind, last.pipeline_id, last.from_stage_id, last.to_stage_id) == (
        TransitionKind.PIPELINE_CHANGE, world.other_pipeline.pk, stage_of(world.pipeline, "qualified").pk, base.pk)
    assert last.seconds_in_from_stage >= 0
    assert Activity.objects.filter(deal=deal, data__event="pipeline_change").count() == 1
    assert AuditEntry.objects.filter(action="deal.pipeline_changed", object_id=str(deal.pk)).exists()


def test_each_pipeline_keeps_its_own_funnel(world, deal):
    change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline,
                         stage=stage_of(world.other_pipeline, "letter"))
    old_rows = StageTransition.objects.filter(pipeline=world.pipeline, deal=deal)
    assert set(old_rows.values_list("to_stage_id", flat=True)) == {stage_of(world.pipeline, "received").pk,
                                                                  stage_of(world.pipeline, "qualified").pk}
    # In the new pipeline the deal reached the stage it entered and the ones before it.
    for slug in ("base", "letter"):
        assert Deal.objects.filter(reached_stage_q(stage_of(world.other_pipeline, slug)), pk=deal.pk).exists()
    assert not Deal.objects.filter(reached_stage_q(stage_of(world.pipeline, "received")), pk=deal.pk).exists()


def test_the_target_stage_demands_its_fields(world, deal):
    budget = add_stage(actor=world.admin, pipeline=world.other_pipeline, name="Бюджет согласован", slug="budget",
                       required_fields=["amount", "expected_close_date"])
    with unchanged(), pytest.raises(MissingFields) as err:
        change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline, stage=budget)
    assert err.value.fields == ["amount", "expected_close_date"]
    change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline, stage=budget,
                         values={"amount": "5000", "expected_close_date": "2030-01-31"})
    assert Deal.objects.get(pk=deal.pk).stage_id == budget.pk


def test_refusals_write_nothing(world, deal):
    cases = [
        ({"pipeline": world.pipeline}, "pipeline"),  # the same pipeline
        ({"pipeline": None}, "pipeline"),
        ({"pipeline": 987654}, "pipeline"),
        ({"pipeline": world.other_pipeline, "stage": stage_of(world.pipeline, "signed")}, "stage"),
    ]
    for kwargs, field in cases:
        with unchanged(), pytest.raises(DomainError) as err:
            change_deal_pipeline(actor=world.owner, deal=Deal.objects.get(pk=deal.pk), **kwargs)
        assert err.value.field == field, kwargs


def test_an_archived_target_stage_is_refused(world, deal):
    letter = stage_of(world.other_pipeline, "letter")
    lose_deal(actor=world.owner, deal=make_deal(world.owner, world.other_pipeline), reason=world.reason)
    archived = archive_stage(actor=world.admin, stage=stage_of(world.other_pipeline, "base"))
    with unchanged(), pytest.raises(DomainError) as err:
        change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline, stage=archived)
    assert err.value.field == "stage"
    moved = change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline)
    assert moved.stage_id == letter.pk  # the first stage that takes deals


def test_closed_deals_stale_copies_and_outsiders_are_refused(world, deal):
    stale = Deal.objects.get(pk=deal.pk)
    with pytest.raises(Forbidden):
        change_deal_pipeline(actor=world.outsider, deal=deal, pipeline=world.other_pipeline)
    with pytest.raises(StaleDeal):
        change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline,
                             expected_version=deal.version - 1)
    change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline)
    with pytest.raises(StaleDeal):
        change_deal_pipeline(actor=world.owner, deal=stale, pipeline=world.pipeline)
    lost = lose_deal(actor=world.owner, deal=Deal.objects.get(pk=deal.pk), reason=world.reason)
    with pytest.raises(DomainError):
        change_deal_pipeline(actor=world.owner, deal=lost, pipeline=world.pipeline)


def test_the_stage_owner_takes_the_deal_and_automation_runs(world, deal):
    letter = stage_of(world.other_pipeline, "letter")
    update_stage(actor=world.admin, stage=letter, owner_user=world.outsider, on_enter=["create_task_email"])
    change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline, stage=letter)
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.owner_id, stored.owner_team_id) == (world.outsider.pk, world.other_team.pk)
    assert stored.tasks.filter(status="open", kind="email").exists()


def test_back_in_a_pipeline_the_earlier_stay_counts(world, deal):
    change_deal_pipeline(actor=world.owner, deal=deal, pipeline=world.other_pipeline)
    back = change_deal_pipeline(actor=world.owner, deal=Deal.objects.get(pk=deal.pk), pipeline=world.pipeline)
    stored = Deal.objects.get(pk=back.pk)
    assert stored.stage_id == stage_of(world.pipeline, "received").pk
    assert stored.furthest_stage_id == stage_of(world.pipeline, "qualified").pk  # visited before: still reached
