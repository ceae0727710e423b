"""Stages with history are archived, not deleted: they keep history and reports and take no new deals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.dbstate import stage_of, unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.selectors import board, reached_stage_q
from voronka.deals.services import lose_deal, move_deal, reopen_deal
from voronka.pipelines.models import Stage
from voronka.pipelines.selectors import get_pipeline
from voronka.pipelines.services import archive_stage, delete_stage, unarchive_stage


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


@pytest.fixture
def closed_on_qualified(world):
    """A deal lost on "qualified": the stage has history and no open deal."""
    deal = make_deal(world.owner, world.pipeline, stage=stage_of(world.pipeline, "qualified"))
    return lose_deal(actor=world.owner, deal=deal, reason=world.reason)


def test_delete_refuses_a_stage_with_history_and_names_archive(world, closed_on_qualified):
    qualified = stage_of(world.pipeline, "qualified")
    with unchanged(), pytest.raises(DomainError) as err:
        delete_stage(actor=world.admin, stage=qualified)
    assert (err.value.field, err.value.code) == ("stage", "stage_has_history")


def test_delete_refuses_a_stage_a_deal_only_passed_through(world):
    deal = make_deal(world.owner, world.pipeline)
    move_deal(actor=world.owner, deal=deal, stage=stage_of(world.pipeline, "qualified"))
    received = stage_of(world.pipeline, "received")  # no deal on it now, but the log has been there
    assert not received.deals.exists()
    with pytest.raises(DomainError):
        delete_stage(actor=world.admin, stage=received)


def test_delete_removes_a_stage_without_history(world):
    empty = stage_of(world.pipeline, "signed")
    delete_stage(actor=world.admin, stage=empty)
    assert not Stage.objects.filter(pk=empty.pk).exists()


def test_archive_refuses_while_an_open_deal_is_on_the_stage(world):
    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(DomainError) as err:
        archive_stage(actor=world.admin, stage=deal.stage)
    assert err.value.field == "stage" and "1" in err.value.message
    assert not Stage.objects.get(pk=deal.stage_id).is_archived


def test_archive_needs_the_admin(world, closed_on_qualified):
    with pytest.raises(DomainError):
        archive_stage(actor=world.head, stage=closed_on_qualified.stage)


def test_an_archived_stage_takes_no_new_deals(world, closed_on_qualified):
    qualified = archive_stage(actor=world.admin, stage=closed_on_qualified.stage)
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as err:
        make_deal(world.owner, world.pipeline, client=client, stage=qualified)
    assert err.value.field == "stage"
    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(DomainError) as err:
        move_deal(actor=world.owner, deal=deal, stage=qualified)
    assert err.value.field == "stage"
    with unchanged(), pytest.raises(DomainError) as err:  # reopen defaults to the deal's (archived) stage
        reopen_deal(actor=world.owner, deal=closed_on_qualified, task=task_spec())
    assert err.value.field == "stage"
    reopened = reopen_deal(actor=world.owner, deal=Deal.objects.get(pk=closed_on_qualified.pk), task=task_spec(),
                           stage=stage_of(world.pipeline, "received"))
    assert reopened.is_open


def test_new_deals_start_on_the_first_stage_that_is_not_archived(world):
    received = stage_of(world.pipeline, "received")
    lose_deal(actor=world.owner, deal=make_deal(world.owner, world.pipeline), reason=world.reason)
    archive_stage(actor=world.admin, stage=received)
    deal = make_deal(world.owner, world.pipeline)
    assert deal.stage == stage_of(world.pipeline, "qualified")


def test_an_archived_stage_keeps_history_and_reports(world, closed_on_qualified):
    qualified = archive_stage(actor=world.admin, stage=closed_on_qualified.stage)
    assert Deal.objects.filter(reached_stage_q(qualified), pk=closed_on_qualified.pk).exists()
    assert Deal.objects.get(pk=closed_on_qualified.pk).stage_id == qualified.pk


def test_an_archived_stage_leaves_the_board(world, closed_on_qualified):
    archive_stage(actor=world.admin, stage=closed_on_qualified.stage)
    columns = board(actor=world.owner, pipeline=get_pipeline(pipeline_id=world.pipeline.pk))
    assert "qualified" not in [c.stage.slug for c in columns]
    assert len(columns) == 3


def test_unarchive_brings_it_back(world, closed_on_qualified):
    qualified = archive_stage(actor=world.admin, stage=closed_on_qualified.stage)
    unarchive_stage(actor=world.admin, stage=qualified)
    assert not Stage.objects.get(pk=qualified.pk).is_archived
    make_deal(world.owner, world.pipeline, stage=qualified)


def test_the_last_stage_that_takes_deals_cannot_be_archived(world):
    stages = list(world.other_pipeline.stages.order_by("position"))
    lose_deal(actor=world.owner, deal=make_deal(world.owner, world.other_pipeline), reason=world.reason)
    delete_stage(actor=world.admin, stage=stages[1])
    with pytest.raises(DomainError):
        archive_stage(actor=world.admin, stage=stages[0])


# --- UI -----------------------------------------------------------------------------------------------------

def test_settings_offer_archive_for_a_stage_with_history_and_delete_otherwise(admin_client, world,
                                                                             closed_on_qualified):
    qualified, signed = stage_of(world.pipeline, "qualified"), stage_of(world.pipeline, "signed")
    html = admin_client.get(reverse("settings:pipeline", args=[world.pipeline.pk])).content.decode()
    assert f'id="archive-{qualified.pk}"' in html and f'id="delete-{qualified.pk}"' not in html
    assert f'id="delete-{signed.pk}"' in html and f'id="archive-{signed.pk}"' not in html
    response = admin_client.post(reverse("settings:stage_archive", args=[qualified.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "msg-success" in html and f'id="unarchive-{qualified.pk}"' in html
    assert Stage.objects.get(pk=qualified.pk).is_archived
    response = admin_client.post(reverse("settings:stage_unarchive", args=[qualified.pk]), HTTP_HX_REQUEST="true")
    assert f'id="archive-{qualified.pk}"' in response.content.decode()
    assert not Stage.objects.get(pk=qualified.pk).is_archived


def test_archiving_a_stage_with_open_deals_shows_the_reason(admin_client, world):
    deal = make_deal(world.owner, world.pipeline)
    response = admin_client.post(reverse("settings:stage_archive", args=[deal.stage_id]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "msg-error" in response.content.decode()
    assert not Stage.objects.get(pk=deal.stage_id).is_archived


def test_managers_cannot_archive(client, world, closed_on_qualified):
    client.force_login(world.owner)
    response = client.post(reverse("settings:stage_archive", args=[closed_on_qualified.stage_id]))
    assert response.status_code == 403
    assert not Stage.objects.get(pk=closed_on_qualified.stage_id).is_archived


def test_the_deal_page_of_a_deal_closed_on_an_archived_stage_shows_that_stage(client, world, closed_on_qualified):
    archive_stage(actor=world.admin, stage=closed_on_qualified.stage)
    client.force_login(world.owner)
    html = client.get(reverse("deals:detail", args=[closed_on_qualified.pk])).content.decode()
    assert "Квалификация проведена" in html


def test_the_move_menu_hides_archived_stages(client, world, closed_on_qualified):
    archive_stage(actor=world.admin, stage=closed_on_qualified.stage)
    deal = make_deal(world.owner, world.pipeline)
    client.force_login(world.owner)
    html = client.get(reverse("deals:move", args=[deal.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "КП отправлено" in html and "Квалификация проведена" not in html
