"""Skipping stages does not skip their rules: a move, a win, a creation on a later stage or a reopen on one
asks for the union of the required fields of every stage passed, in pipeline order, in one dialog."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.dbstate import stage_of, unchanged
from tests.factories import make_deal, task_spec
from voronka.core.errors import MissingFields
from voronka.deals.models import Deal
from voronka.deals.rules import fields_required_for_move, fields_required_for_win, stages_passed
from voronka.deals.services import create_deal, lose_deal, move_deal, reopen_deal, win_deal
from voronka.pipelines.services import update_stage

pytestmark = pytest.mark.django_db

CLOSE = "2030-01-31"


@pytest.fixture
def rules(world):
    """received: -, qualified: source, proposal: amount, signed: amount + expected close date."""
    update_stage(actor=world.admin, stage=stage_of(world.pipeline, "qualified"), required_fields=["source"])
    return world


def test_the_union_is_every_stage_after_the_current_one_up_to_the_target_in_pipeline_order(rules):
    deal = make_deal(rules.owner, rules.pipeline)
    signed = stage_of(rules.pipeline, "signed")
    assert [s.slug for s in stages_passed(deal, signed)] == ["qualified", "proposal", "signed"]
    assert fields_required_for_move(deal, signed) == ["source", "amount", "expected_close_date"]
    assert fields_required_for_move(deal, stage_of(rules.pipeline, "qualified")) == ["source"]


def test_a_move_from_stage_1_to_stage_4_asks_for_the_fields_of_stages_2_3_and_4(rules):
    deal = make_deal(rules.owner, rules.pipeline)
    with unchanged(), pytest.raises(MissingFields) as exc:
        move_deal(actor=rules.owner, deal=deal, stage=stage_of(rules.pipeline, "signed"))
    assert exc.value.fields == ["source", "amount", "expected_close_date"]
    with unchanged(), pytest.raises(MissingFields) as exc:
        move_deal(actor=rules.owner, deal=deal, stage=stage_of(rules.pipeline, "signed"),
                  values={"amount": "100", "expected_close_date": CLOSE})
    assert exc.value.fields == ["source"]  # the skipped qualification stage's field
    moved = move_deal(actor=rules.owner, deal=deal, stage=stage_of(rules.pipeline, "signed"),
                      values={"amount": "100", "expected_close_date": CLOSE, "source": rules.source.pk})
    assert moved.stage.slug == "signed"


def test_a_backward_move_checks_only_the_target_stage(rules):
    deal = make_deal(rules.owner, rules.pipeline, values={"amount": "100", "expected_close_date": CLOSE,
                                                          "source": rules.source.pk})
    deal = move_deal(actor=rules.owner, deal=deal, stage=stage_of(rules.pipeline, "signed"))
    update_stage(actor=rules.admin, stage=stage_of(rules.pipeline, "proposal"),
                 required_fields=["amount", "channel"])
    update_stage(actor=rules.admin, stage=stage_of(rules.pipeline, "qualified"), required_fields=["source"])
    assert fields_required_for_move(deal, stage_of(rules.pipeline, "qualified")) == ["source"]
    back = move_deal(actor=rules.owner, deal=deal, stage=stage_of(rules.pipeline, "qualified"))
    assert back.stage.slug == "qualified"


def test_a_win_from_the_first_stage_asks_for_the_fields_of_every_later_stage(rules):
    deal = make_deal(rules.owner, rules.pipeline)
    assert fields_required_for_win(deal) == ["source", "amount", "expected_close_date"]
    with unchanged(), pytest.raises(MissingFields) as exc:
        win_deal(actor=rules.owner, deal=deal, amount="1000")
    assert exc.value.fields == ["source", "expected_close_date"]
    won = win_deal(actor=rules.owner, deal=deal, amount="1000",
                   values={"source": rules.source.pk, "expected_close_date": CLOSE})
    assert won.status == "won"


def test_a_win_from_the_last_stage_does_not_recheck_earlier_stages(rules):
    deal = make_deal(rules.owner, rules.pipeline, values={"amount": "100", "expected_close_date": CLOSE,
                                                          "source": rules.source.pk})
    deal = move_deal(actor=rules.owner, deal=deal, stage=stage_of(rules.pipeline, "signed"))
    update_stage(actor=rules.admin, stage=stage_of(rules.pipeline, "qualified"), required_fields=["channel"])
    assert fields_required_for_win(Deal.objects.get(pk=deal.pk)) == ["amount", "expected_close_date"]
    assert win_deal(actor=rules.owner, deal=Deal.objects.get(pk=deal.pk)).status == "won"


def test_a_deal_created_on_a_later_stage_passes_every_stage_before_it(rules):
    kwargs = {"actor": rules.owner, "title": "Сразу КП", "pipeline": rules.pipeline,
              "client": make_deal(rules.owner, rules.pipeline).client, "first_task": task_spec(),
              "stage": stage_of(rules.pipeline, "proposal")}
    with unchanged(), pytest.raises(MissingFields) as exc:
        create_deal(**kwargs, values={"amount": "100"})
    assert exc.value.fields == ["source"]
    assert create_deal(**kwargs, values={"amount": "100", "source": rules.source.pk}).stage.slug == "proposal"


def test_a_reopen_on_a_later_stage_passes_the_stages_between(rules):
    deal = make_deal(rules.owner, rules.pipeline)
    lost = lose_deal(actor=rules.owner, deal=deal, reason=rules.reason)
    with unchanged(), pytest.raises(MissingFields) as exc:
        reopen_deal(actor=rules.owner, deal=lost, task=task_spec(), stage=stage_of(rules.pipeline, "proposal"))
    assert exc.value.fields == ["source", "amount"]
    assert reopen_deal(actor=rules.owner, deal=lost, task=task_spec()).stage.slug == "received"


def test_the_move_dialog_asks_for_the_whole_union_at_once(client, rules):
    deal = make_deal(rules.owner, rules.pipeline)
    client.force_login(rules.owner)
    response = client.post(reverse("deals:move", args=[deal.pk]),
                           {"stage": stage_of(rules.pipeline, "signed").pk, "version": deal.version, "ctx": "board"},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "fields-dialog" in html
    for key in ("source", "amount", "expected_close_date"):
        assert f'data-required-field="{key}"' in html, key
    assert Deal.objects.get(pk=deal.pk).stage.slug == "received"


def test_the_win_dialog_asks_for_the_fields_of_the_remaining_stages(client, rules):
    deal = make_deal(rules.owner, rules.pipeline)
    client.force_login(rules.owner)
    html = client.get(reverse("deals:win", args=[deal.pk]), {"ctx": "board"}, HTTP_HX_REQUEST="true"
                      ).content.decode()
    for key in ("source", "expected_close_date"):
        assert f'data-required-field="{key}"' in html, key
