"""The client list and the refusal list: scope, filters, bad input, a bounded number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_client
from voronka.clients.services import refuse_client

pytestmark = pytest.mark.django_db

URL = reverse("clients:list")


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_manager_sees_only_own_clients(client, world):
    make_client(world.owner, name="ООО Своя")
    make_client(world.outsider, name="ООО Чужая")
    client.force_login(world.owner)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "ООО Своя" in body
    assert "ООО Чужая" not in body


def test_the_head_sees_everyone_and_filters_by_responsible(client, world):
    make_client(world.owner, name="ООО Своя")
    make_client(world.outsider, name="ООО Чужая")
    client.force_login(world.head)
    body = client.get(URL, {"responsible": world.outsider.pk}).content.decode()
    assert "ООО Чужая" in body
    assert "ООО Своя" not in body


def test_the_refusal_list_shows_reason_and_date(client, world):
    refused = make_client(world.owner, name="ООО Отказ")
    make_client(world.owner, name="ООО Работаем")
    refuse_client(actor=world.owner, client=refused, reason=world.reason, comment="Дорого")
    client.force_login(world.owner)
    body = client.get(URL, {"status": "refused"}).content.decode()
    assert "ООО Отказ" in body
    assert "ООО Работаем" not in body
    assert world.reason.name in body
    assert "Дорого" in body


def test_search_finds_a_client_by_phone_in_any_format(client, world):
    make_client(world.owner, name="ООО Телефон", phone="+79161234567")
    make_client(world.owner, name="ООО Другой", phone="+79035550000")
    client.force_login(world.owner)
    body = client.get(URL, {"q": "8 (916) 123-45-67"}).content.decode()
    assert "ООО Телефон" in body
    assert "ООО Другой" not in body


def test_filters_by_rating_region_and_source(client, world):
    make_client(world.owner, name="ООО Горячий", rating="A", region=world.region, source=world.source)
    make_client(world.owner, name="ООО Холодный", rating="C")
    client.force_login(world.owner)
    for params in ({"rating": "A"}, {"region": world.region.pk}, {"source": world.source.pk}):
        body = client.get(URL, params).content.decode()
        assert "ООО Горячий" in body, params
        assert "ООО Холодный" not in body, params


@pytest.mark.parametrize("params", [
    {"responsible": "abc"}, {"region": "99999999999999999999"}, {"source": "-1"}, {"status": "nonsense"},
    {"rating": "Z"}, {"page": "zzz"}, {"page": "100000"}, {"order": "password"}, {"q": "x" * 500},
])
def test_bad_filter_values_are_ignored(client, world, params):
    make_client(world.owner, name="ООО Есть")
    client.force_login(world.owner)
    response = client.get(URL, params)
    assert response.status_code == 200


def test_the_list_pages_by_50(client, world):
    for i in range(52):
        make_client(world.owner, name=f"ООО Клиент {i:03d}")
    client.force_login(world.owner)
    first = client.get(URL).content.decode()
    assert "ООО Клиент 049" in first
    assert "ООО Клиент 050" not in first
    second = client.get(URL, {"page": 2}).content.decode()
    assert "ООО Клиент 050" in second


def _count_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"status": "refused"}, {"q": "ООО"}])
def test_the_list_runs_the_same_queries_for_3_and_10_rows(client, world, params):
    client.force_login(world.lead)
    for _ in range(3):
        c = make_client(world.owner, region=world.region, source=world.source, rating="B")
        refuse_client(actor=world.owner, client=c, reason=world.reason)
    small = _count_queries(client, params)
    for _ in range(7):
        c = make_client(world.teammate, region=world.region, source=world.source, rating="A")
        refuse_client(actor=world.teammate, client=c, reason=world.reason)
    assert _count_queries(client, params) == small
