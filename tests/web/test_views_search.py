"""Global search: clients / contacts / deals in the user's scope, duplicates outside it named without links."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_client, make_deal
from voronka.clients.services import add_contact
from voronka.deals.selectors import global_search

pytestmark = pytest.mark.django_db
URL = "/search/"


@pytest.fixture
def data(world):
    mine = make_client(world.owner, name="ООО Ромашка", phone="+79161234567", email="info@romashka.ru",
                       inn="7701234567")
    add_contact(actor=world.owner, client=mine, name="Иван Петров", phone="8 903 111-22-33",
                email="ivan@romashka.ru", position="CEO")
    make_deal(world.owner, world.pipeline, client=mine, title="Перевод сайта Ромашки")
    theirs = make_client(world.outsider, name="АО Вектор", phone="+79265554433", email="hello@vector.ru",
                         inn="7709876543")
    add_contact(actor=world.outsider, client=theirs, name="Пётр Сидоров", phone="+79037778899")
    make_deal(world.outsider, world.pipeline, client=theirs, title="Вектор: локализация")
    return mine, theirs


def search(client, q):
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    return response.context["results"], response.content.decode()


def names(items):
    return [getattr(i, "name", None) or i.title for i in items]


def test_it_requires_login(client):
    assert client.get(URL, {"q": "x"}).status_code == 302


def test_it_is_named():
    assert reverse("web:search") == URL


@pytest.mark.parametrize("q", ["8 (916) 123-45-67", "+7 916 123 45 67", "9161234567", "89161234567", "916123"])
def test_phone_in_any_format_finds_the_client(client, world, data, q):
    client.force_login(world.owner)
    results, html = search(client, q)
    assert names(results.clients) == ["ООО Ромашка"]
    assert f'href="{reverse("clients:detail", args=[data[0].pk])}"' in html


def test_contact_phone_finds_the_contact_and_its_client(client, world, data):
    client.force_login(world.owner)
    results, _ = search(client, "+7 (903) 111-22-33")
    assert names(results.contacts) == ["Иван Петров"]
    assert names(results.clients) == ["ООО Ромашка"]


@pytest.mark.parametrize("q", ["ромашк", "РОМАШКА", "Ромашка", "romashka.ru", "7701234567", "7701"])
def test_name_email_and_inn_find_the_client(client, world, data, q):
    client.force_login(world.owner)
    results, _ = search(client, q)
    assert "ООО Ромашка" in names(results.clients)


def test_deals_by_title_or_client_name(client, world, data):
    client.force_login(world.owner)
    results, html = search(client, "перевод сайта")
    assert names(results.deals) == ["Перевод сайта Ромашки"]
    assert reverse("deals:detail", args=[results.deals[0].pk]) in html
    results, _ = search(client, "ромашка")
    assert names(results.deals) == ["Перевод сайта Ромашки"]


def test_a_manager_finds_nothing_of_a_colleague_by_name(client, world, data):
    client.force_login(world.owner)
    results, html = search(client, "Вектор")
    assert results.clients == [] and results.deals == [] and results.elsewhere == []
    assert "Вектор: локализация" not in html


@pytest.mark.parametrize("q", ["8 926 555-44-33", "hello@vector.ru", "HELLO@VECTOR.RU", "7709876543",
                               "+7 903 777 88 99"])
def test_exact_duplicates_outside_the_scope_are_named_without_a_link(client, world, data, q):
    client.force_login(world.owner)
    results, html = search(client, q)
    assert results.clients == []
    assert names(results.elsewhere) == ["АО Вектор"]
    assert str(world.outsider) in html and "АО Вектор" in html
    assert reverse("clients:detail", args=[data[1].pk]) not in html


def test_head_sees_everything_and_no_elsewhere_group(client, world, data):
    client.force_login(world.head)
    results, _ = search(client, "8 926 555-44-33")
    assert names(results.clients) == ["АО Вектор"] and results.elsewhere == []


def test_lead_sees_the_team(client, world, data):
    client.force_login(world.lead)
    results, _ = search(client, "ромашка")
    assert names(results.clients) == ["ООО Ромашка"]


@pytest.mark.parametrize("q", ["", " ", "а", "%", "_", "'; drop table", "x" * 500, "+", "(((", "\x00"])
def test_odd_input_never_fails(client, world, data, q):
    client.force_login(world.owner)
    response = client.get(URL, {"q": q})
    assert response.status_code == 200


def test_like_wildcards_are_literal(client, world, data):
    client.force_login(world.owner)
    results, _ = search(client, "%%")
    assert results.total == 0


def test_each_group_is_capped_at_20(client, world):
    for i in range(23):
        make_client(world.owner, name=f"Альфа {i:02d}")
    client.force_login(world.owner)
    results, html = search(client, "альфа")
    assert len(results.clients) == 20 and results.more_clients
    assert "20+" in html


def test_htmx_dropdown_target_gets_the_compact_partial(client, world, data):
    client.force_login(world.owner)
    response = client.get(URL, {"q": "ромашка"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-dropdown")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and "ООО Ромашка" in html


def test_selector_returns_empty_for_short_text(world):
    assert global_search(actor=world.owner, text="a").total == 0


def _build(world, start: int, n: int) -> None:
    for i in range(start, start + n):
        c = make_client(world.owner, name=f"Бета {i}", phone=f"+7916000{i:04d}")
        add_contact(actor=world.owner, client=c, name=f"Бета контакт {i}")
        make_deal(world.owner, world.pipeline, client=c, title=f"Бета сделка {i}")
        make_client(world.outsider, name=f"Чужой {i}", phone=f"+7926000{i:04d}")


@pytest.mark.parametrize("q", ["бета", "+7 916 000"])
def test_query_count_does_not_grow_with_results(client, world, q):
    client.force_login(world.owner)
    _build(world, 0, 3)
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"q": q})
    _build(world, 3, 7)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL, {"q": q})
    assert len(response.context["results"].clients) == 10
    assert len(large) == len(small), [x["sql"] for x in large.captured_queries]
    assert len(large) <= 10  # 2 read the user's access (role scopes, pipeline access) once per request; 1 the task counters


def test_naming_a_colleagues_client_is_audited_and_limited_per_hour(client, world, data, settings):
    """The exact-match disclosure stays (nobody must duplicate a colleague's client), but each one is audited
    and a user who keeps trying numbers is stopped after the hourly limit."""
    from django.core.cache import cache

    from voronka.audit.models import AuditEntry

    cache.clear()
    settings.VORONKA_FOREIGN_LOOKUPS_PER_HOUR = 3
    client.force_login(world.owner)
    for _ in range(3):
        results, html = search(client, "hello@vector.ru")
        assert names(results.elsewhere) == ["АО Вектор"]
        assert "7709876543" not in html  # no more than the name and the responsible manager
    entries = AuditEntry.objects.filter(action="client.disclosed", object_id=str(data[1].pk), actor=world.owner)
    assert entries.count() == 3 and set(entries.values_list("new", flat=True)) == {"search"}
    results, html = search(client, "hello@vector.ru")
    assert results.elsewhere == [] and "АО Вектор" not in html
    assert 'data-testid="lookups-withheld"' in html
    assert AuditEntry.objects.filter(action="client.disclosed").count() == 3
    results, _html = search(client, "ромашка")  # his own records are never limited
    assert names(results.clients) == ["ООО Ромашка"]
    cache.clear()
