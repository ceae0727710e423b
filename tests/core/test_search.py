"""One case-insensitive text search (core.search), right for Cyrillic on SQLite and PostgreSQL alike.

SQLite's LIKE and LOWER() fold ASCII only: before, the client list found "Ромашка" but not "ромашка".
"""

from __future__ import annotations

import pytest

from tests.factories import make_client, make_deal
from voronka.clients.models import Client
from voronka.clients.selectors import ClientFilter, list_clients
from voronka.core.search import fold, text_contains
from voronka.deals.selectors import DealFilter, global_search, list_deals_page


@pytest.fixture
def clients(world):
    return {
        "romashka": make_client(world.owner, name="ООО Ромашка"),
        "semyon": make_client(world.owner, name="Семён и партнёры"),
        "acme": make_client(world.owner, name="Acme Trading"),
    }


def _client_names(world, q: str) -> set[str]:
    return {c.name for c in list_clients(actor=world.owner, filters=ClientFilter(q=q))}


@pytest.mark.parametrize("q", ["ромашка", "РОМАШКА", "Ромашка", "рОмАшКа", "машк"])
def test_the_client_list_finds_cyrillic_names_in_any_case(world, clients, q):
    assert _client_names(world, q) == {"ООО Ромашка"}


@pytest.mark.parametrize("q", ["acme", "ACME", "Acme", "trad"])
def test_the_client_list_finds_latin_names_in_any_case(world, clients, q):
    assert _client_names(world, q) == {"Acme Trading"}


@pytest.mark.parametrize("q", ["семен", "Семён", "СЕМЕН", "партнеры", "ПАРТНЁРЫ"])
def test_yo_and_ye_are_one_letter_for_search(world, clients, q):
    assert _client_names(world, q) == {"Семён и партнёры"}


def test_the_deal_list_finds_titles_and_client_names_in_any_case(world, clients):
    deal = make_deal(world.owner, world.pipeline, client=clients["romashka"], title="Поставка Переводчика")
    for q in ("поставка", "ПЕРЕВОДЧИКА", "ромашка", "РОМАШКА"):
        _page, rows = list_deals_page(actor=world.owner, filters=DealFilter(q=q))
        assert [d.pk for d in rows] == [deal.pk], q


def test_global_search_finds_clients_contacts_and_deals_in_any_case(world, clients):
    deal = make_deal(world.owner, world.pipeline, client=clients["semyon"], title="Ёлочные игрушки")
    results = global_search(actor=world.owner, text="елочные")
    assert [d.pk for d in results.deals] == [deal.pk]
    results = global_search(actor=world.owner, text="СЕМЁН")
    assert [c.pk for c in results.clients] == [clients["semyon"].pk]
    assert deal.pk in [d.pk for d in results.deals]


def test_search_keeps_the_scope(world, clients):
    make_client(world.outsider, name="ООО Ромашка-2")
    assert _client_names(world, "ромашка") == {"ООО Ромашка"}


def test_text_contains_is_one_function_for_both_databases(world, clients):
    assert fold("ЁЛКА Ромашка") == "елка ромашка"
    assert set(Client.objects.filter(text_contains("name", "РОМАШ")).values_list("name", flat=True)) == {
        "ООО Ромашка"}
    assert not Client.objects.filter(text_contains("name", "лютик")).exists()
