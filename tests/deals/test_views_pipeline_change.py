"""The "Move to another pipeline" dialog on the deal page (wiring; the rules are in test_change_pipeline)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.dbstate import stage_of
from tests.factories import make_deal
from voronka.deals.models import Deal
from voronka.pipelines.services import add_stage


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline)


@pytest.fixture
def owner_client(client, world):
    client.force_login(world.owner)
    return client


def test_the_deal_page_offers_the_action(owner_client, deal):
    html = owner_client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert reverse("deals:pipeline_change", args=[deal.pk]) in html


def test_the_dialog_lists_other_pipelines_and_their_stages(owner_client, world, deal):
    url = reverse("deals:pipeline_change", args=[deal.pk])
    html = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Outreach" in html and "Письмо отправлено" in html and '>Inbound</option>' not in html
    part = owner_client.get(url, {"part": "stage", "pipeline": world.other_pipeline.pk}).content.decode()
    assert 'id="pipeline-stage-field"' in part and "База собрана" in part


def test_post_moves_the_deal_and_refreshes_the_page(owner_client, world, deal):
    letter = stage_of(world.other_pipeline, "letter")
    response = owner_client.post(reverse("deals:pipeline_change", args=[deal.pk]),
                                 {"pipeline": world.other_pipeline.pk, "stage": letter.pk, "version": deal.version},
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert Deal.objects.get(pk=deal.pk).stage_id == letter.pk


def test_required_fields_are_asked_in_the_same_dialog(owner_client, world, deal):
    budget = add_stage(actor=world.admin, pipeline=world.other_pipeline, name="Бюджет согласован", slug="budget",
                       required_fields=["amount"])
    url = reverse("deals:pipeline_change", args=[deal.pk])
    data = {"pipeline": world.other_pipeline.pk, "stage": budget.pk, "version": deal.version}
    response = owner_client.post(url, data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'name="fields" value="amount"' in html
    assert Deal.objects.get(pk=deal.pk).pipeline_id == world.pipeline.pk
    response = owner_client.post(url, {**data, "fields": "amount", "amount": "7000"}, HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage_id, stored.amount) == (budget.pk, 7000)


def test_bad_input_is_a_form_error(owner_client, world, deal):
    url = reverse("deals:pipeline_change", args=[deal.pk])
    for data in ({"pipeline": "x"}, {"pipeline": world.pipeline.pk}, {"pipeline": world.other_pipeline.pk,
                                                                      "stage": stage_of(world.pipeline, "signed").pk},
                 {"pipeline": world.other_pipeline.pk, "version": "²"}):
        response = owner_client.post(url, data, HTTP_HX_REQUEST="true")
        assert (response.status_code == 200 and "errorlist" in response.content.decode()) or \
            "form-errors" in response.content.decode(), data
    assert Deal.objects.get(pk=deal.pk).pipeline_id == world.pipeline.pk


def test_a_stale_version_is_refused(owner_client, world, deal):
    response = owner_client.post(reverse("deals:pipeline_change", args=[deal.pk]),
                                 {"pipeline": world.other_pipeline.pk, "version": deal.version + 5},
                                 HTTP_HX_REQUEST="true")
    assert "form-errors" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).pipeline_id == world.pipeline.pk


def test_outsiders_get_404(client, world, deal):
    client.force_login(world.outsider)
    response = client.post(reverse("deals:pipeline_change", args=[deal.pk]), {"pipeline": world.other_pipeline.pk})
    assert response.status_code == 404
