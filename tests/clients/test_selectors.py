"""Client reads: scope per role, hidden == missing, duplicates found across scopes."""

from __future__ import annotations

import pytest

from tests.factories import make_client
from voronka.clients.selectors import ClientFilter, find_duplicates, get_client, list_clients, visible_clients
from voronka.clients.services import refuse_client
from voronka.core.errors import NotFound


@pytest.fixture
def clients(world):
    return {who: make_client(getattr(world, who)) for who in ("owner", "teammate", "outsider")}


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_visible_clients_of_a_manager_are_their_own(world, clients):
    assert _ids(visible_clients(actor=world.owner)) == {clients["owner"].pk}
    assert _ids(visible_clients(actor=world.outsider)) == {clients["outsider"].pk}


def test_visible_clients_of_a_lead_are_their_teams(world, clients):
    assert _ids(visible_clients(actor=world.lead)) == {clients["owner"].pk, clients["teammate"].pk}


def test_visible_clients_of_the_head_are_all(world, clients):
    assert _ids(visible_clients(actor=world.head)) == {c.pk for c in clients.values()}


def test_get_client_of_a_hidden_client_raises_not_found(world, clients):
    assert get_client(actor=world.owner, client_id=clients["owner"].pk).pk == clients["owner"].pk
    for client_id in (clients["teammate"].pk, clients["outsider"].pk, 987654, "x"):
        with pytest.raises(NotFound):
            get_client(actor=world.owner, client_id=client_id)


def test_find_duplicates_is_deliberately_unscoped(world, clients):
    outsider_client = clients["outsider"]
    found = find_duplicates(name_normalized=outsider_client.name_normalized)
    assert [c.pk for c in found] == [outsider_client.pk]


def test_refusal_list_shows_refused_clients_in_scope(world, clients):
    for who in ("owner", "outsider"):
        refuse_client(actor=getattr(world, who), client=clients[who], reason=world.reason)
    refused = ClientFilter(status="refused")
    assert [c.pk for c in list_clients(actor=world.owner, filters=refused)] == [clients["owner"].pk]
    assert {c.pk for c in list_clients(actor=world.head, filters=refused)} == {
        clients["owner"].pk, clients["outsider"].pk}
