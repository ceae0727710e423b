"""The deal list's column chooser: the user picks columns (custom fields too) and their order, kept per user;
unknown keys are refused; the query count is the same whatever the choice."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_deal
from voronka.catalog.models import CustomFieldDefinition
from voronka.core.errors import DomainError
from voronka.deals.columns import DEFAULT_COLUMNS, STANDARD_COLUMNS
from voronka.deals.models import DealListPreference
from voronka.deals.services import set_deal_list_columns, update_deal

pytestmark = pytest.mark.django_db


def _header(html: str) -> list[str]:
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th scope="col" data-col="([^"]+)"', head)


def _cells(html: str) -> list[str]:
    row = html.split('data-deal-row="', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'data-col="([^"]+)"', row)


def test_default_columns_until_the_user_chooses(client, world):
    make_deal(world.owner, world.pipeline)
    client.force_login(world.owner)
    html = client.get(reverse("deals:list")).content.decode()
    assert _header(html) == list(DEFAULT_COLUMNS) == _cells(html)


def test_the_chosen_columns_and_order_are_kept_per_user(client, world):
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет проекта", field_type="text")
    deal = make_deal(world.owner, world.pipeline, values={"source": world.source.pk})
    update_deal(actor=world.owner, deal=deal, values={"cf:budget": "полмиллиона"})
    set_deal_list_columns(actor=world.owner, columns=["cf:budget", "source", "amount"])
    client.force_login(world.owner)
    html = client.get(reverse("deals:list")).content.decode()
    assert _header(html) == ["cf:budget", "source", "amount"] == _cells(html)
    assert "полмиллиона" in html and "Бюджет проекта" in html and world.source.name in html
    # a colleague still sees the default columns
    make_deal(world.teammate, world.pipeline)
    client.force_login(world.teammate)
    assert _header(client.get(reverse("deals:list")).content.decode()) == list(DEFAULT_COLUMNS)


def test_the_chooser_form_saves_and_moves_columns(client, world):
    client.force_login(world.owner)
    order = [c.key for c in STANDARD_COLUMNS]
    response = client.post(reverse("deals:list_columns"), {
        "order": order, "columns": ["client", "amount", "owner"], "next": "/deals/?o=amount"})
    assert response.status_code == 302 and response["Location"] == "/deals/?o=amount"
    assert DealListPreference.objects.get(user=world.owner).columns == ["client", "amount", "owner"]
    # ↓ on "client" (with the order as the form lists it: shown first) swaps it with "amount"
    shown_first = ["client", "amount", "owner"] + [k for k in order if k not in ("client", "amount", "owner")]
    response = client.post(reverse("deals:list_columns"), {
        "order": shown_first, "columns": ["client", "amount", "owner"], "down": "client", "next": "/deals/"})
    assert response["Location"] == "/deals/?chooser=1#column-chooser"
    assert DealListPreference.objects.get(user=world.owner).columns == ["amount", "client", "owner"]


@pytest.mark.parametrize("columns", [[], ["title"], ["nope"], ["cf:missing"], "client", [1, 2]])
def test_unknown_or_empty_choices_are_refused(world, columns):
    with pytest.raises(DomainError) as exc:
        set_deal_list_columns(actor=world.owner, columns=columns)
    assert exc.value.field == "columns"
    assert not DealListPreference.objects.exists()


def test_a_refused_choice_through_the_form_is_a_message_not_a_500(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("deals:list_columns"), {"order": ["client"], "columns": []}, follow=True)
    assert response.status_code == 200
    assert "at least one column" in response.content.decode() or "хотя бы один столбец" in response.content.decode()


def test_a_deactivated_custom_column_drops_out(client, world):
    field = CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="text")
    make_deal(world.owner, world.pipeline)
    set_deal_list_columns(actor=world.owner, columns=["cf:budget", "amount"])
    field.is_active = False
    field.save()
    client.force_login(world.owner)
    assert _header(client.get(reverse("deals:list")).content.decode()) == ["amount"]


def _count(client) -> int:
    client.get(reverse("deals:list"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("deals:list")).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_the_same_whatever_the_columns(client, world):
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="text")
    for _i in range(4):
        make_deal(world.owner, world.pipeline, values={"source": world.source.pk})
    client.force_login(world.owner)
    default = _count(client)
    every = [c.key for c in STANDARD_COLUMNS] + ["cf:budget"]
    set_deal_list_columns(actor=world.owner, columns=every)
    assert _count(client) == default
    set_deal_list_columns(actor=world.owner, columns=["cf:budget"])
    assert _count(client) == default
    for _i in range(8):
        make_deal(world.owner, world.pipeline)
    assert _count(client) == default
    assert default <= 20
