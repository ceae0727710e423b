"""The change history of a deal and a client, in scope only; the administrators' audit log and CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import make_deal
from voronka.audit.models import AuditEntry
from voronka.deals.services import update_deal


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def deal(world):
    deal = make_deal(world.owner, world.pipeline, title="Поставка бумаги")
    return update_deal(actor=world.owner, deal=deal, values={"title": "Поставка картона"})


def test_the_deal_page_lists_who_changed_what_from_what_to_what(client, world, deal, django_assert_max_num_queries):
    client.force_login(world.owner)
    url = reverse("audit:deal_changes", args=[deal.pk])
    assert f'hx-get="{url}"' in client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    with django_assert_max_num_queries(8):
        html = client.get(url).content.decode()
    expected = AuditEntry.objects.filter(object_type="deals.Deal", object_id=str(deal.pk)).count()
    assert html.count("data-entry=") == expected >= 2
    assert "Поставка бумаги" in html and "Поставка картона" in html
    assert (world.owner.get_full_name() or world.owner.username) in html


def test_outside_the_scope_the_history_is_a_404(client, world, deal):
    client.force_login(world.outsider)
    assert client.get(reverse("audit:deal_changes", args=[deal.pk])).status_code == 404
    assert client.get(reverse("audit:client_changes", args=[deal.client_id])).status_code == 404


def test_the_client_card_has_its_history(client, world, deal):
    client.force_login(world.owner)
    html = client.get(reverse("audit:client_changes", args=[deal.client_id])).content.decode()
    assert html.count("data-entry=") == AuditEntry.objects.filter(object_type="clients.Client",
                                                                   object_id=str(deal.client_id)).count() >= 1


def test_the_audit_log_is_for_administrators(client, world, deal):
    client.force_login(world.head)
    assert client.get(reverse("settings:audit")).status_code == 403
    client.force_login(world.admin)
    assert client.get(reverse("settings:audit")).status_code == 200


def test_the_audit_log_filters_and_exports_what_it_shows(client, world, deal, django_assert_max_num_queries):
    client.force_login(world.admin)
    params = {"object_type": "deals.Deal", "object_id": str(deal.pk), "field": "title"}
    with django_assert_max_num_queries(10):
        html = client.get(reverse("settings:audit"), params).content.decode()
    expected = list(AuditEntry.objects.filter(object_type="deals.Deal", object_id=str(deal.pk), field="title"))
    assert html.count("data-entry=") == len(expected) == 1
    response = client.get(reverse("settings:audit"), {**params, "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "When" and len(rows) == 2
    assert rows[1][6:] == ["Поставка бумаги", "Поставка картона"]
    export = AuditEntry.objects.get(action="export", object_type="audit")
    assert export.actor == world.admin and export.object_id == "1" and "title" in export.new


@pytest.mark.parametrize("params", [{"date_from": "2026-02-30"}, {"user": "abc"}, {"user": "99999999999999999999"},
                                    {"date_from": "2026-03-02", "date_to": "2026-03-01"}, {"object_type": "x" * 500}])
def test_bad_filters_are_field_errors_not_500(client, world, deal, params):
    client.force_login(world.admin)
    response = client.get(reverse("settings:audit"), params)
    assert response.status_code == 400 and 'class="errorlist' in response.content.decode()
