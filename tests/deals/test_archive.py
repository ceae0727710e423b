"""Archive instead of delete: closed deals and clients put away leave lists, search, the board, reports and
the duplicate check; their pages and history stay, and they come back as they were."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal
from voronka.analytics.engine import run_report
from voronka.audit.models import AuditEntry
from voronka.clients.models import Client, ClientStatus
from voronka.clients.selectors import ClientFilter, find_duplicates, list_clients
from voronka.clients.services import set_client_archived
from voronka.core.errors import DomainError, Forbidden, NotFound
from voronka.deals.models import Deal
from voronka.deals.selectors import DealFilter, filter_deals, global_search, visible_deals
from voronka.deals.services import lose_deal, set_deal_archived

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost(world):
    client = make_client(world.owner, name="ООО Ошибка", phone="+79001112233")
    deal = make_deal(world.owner, world.pipeline, client=client, title="Ошибочная сделка", values={"amount": "700"})
    lose_deal(actor=world.owner, deal=deal, reason=world.reason)
    return Deal.objects.get(pk=deal.pk)


def _lost_count(actor) -> int:
    return sum(row["count"] for row in run_report(actor=actor, name="lost-reasons", params={}).rows)


def test_an_archived_deal_leaves_lists_search_and_reports_and_comes_back(world, lost):
    assert _lost_count(world.owner) == 1
    set_deal_archived(actor=world.owner, deal=lost, archived=True)
    live = filter_deals(visible_deals(actor=world.owner), DealFilter())
    assert not live.filter(pk=lost.pk).exists()
    assert list(filter_deals(visible_deals(actor=world.owner), DealFilter(archived=True))) == [Deal.objects.get(pk=lost.pk)]
    assert global_search(actor=world.owner, text="Ошибочная").deals == []
    assert _lost_count(world.owner) == 0
    http = HttpClient()
    http.force_login(world.owner)
    page = http.get(reverse("deals:detail", args=[lost.pk]))
    assert page.status_code == 200 and b"archived-badge" in page.content
    assert "Ошибочная сделка" not in http.get(reverse("deals:list")).content.decode()
    assert "Ошибочная сделка" in http.get(reverse("deals:list"), {"archived": "1"}).content.decode()
    http.post(reverse("deals:archive", args=[lost.pk]), {"archived": "0"})
    assert not Deal.objects.get(pk=lost.pk).is_archived and _lost_count(world.owner) == 1
    assert list(AuditEntry.objects.filter(object_id=str(lost.pk), action__in=["deal.archived", "deal.restored"])
                .order_by("id").values_list("action", flat=True)) == ["deal.archived", "deal.restored"]


def test_an_open_deal_is_not_archived(world):
    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(DomainError):
        set_deal_archived(actor=world.owner, deal=deal, archived=True)


def test_archiving_follows_scope_and_read_only(world, lost):
    with unchanged(), pytest.raises((NotFound, DomainError, Forbidden)):
        set_deal_archived(actor=world.outsider, deal=lost, archived=True)
    analyst = HttpClient()
    analyst.force_login(world.analyst)
    with unchanged():
        assert analyst.post(reverse("deals:archive", args=[lost.pk]), {"archived": "1"}).status_code == 403
    outsider = HttpClient()
    outsider.force_login(world.outsider)
    with unchanged():
        assert outsider.post(reverse("deals:archive", args=[lost.pk]), {"archived": "1"}).status_code == 404


def test_an_archived_client_leaves_lists_search_and_the_duplicate_check(world, lost):
    client = lost.client
    before = Client.objects.get(pk=client.pk).status
    set_client_archived(actor=world.owner, client=client, archived=True)
    assert Client.objects.get(pk=client.pk).status == ClientStatus.ARCHIVED
    assert client.pk not in [c.pk for c in list_clients(actor=world.owner)]
    assert client.pk in [c.pk for c in list_clients(actor=world.owner, filters=ClientFilter(status="archived"))]
    assert global_search(actor=world.owner, text="Ошибка").clients == []
    assert find_duplicates(phone="+79001112233") == []
    http = HttpClient()
    http.force_login(world.owner)
    assert http.get(reverse("clients:detail", args=[client.pk])).status_code == 200
    http.post(reverse("clients:archive", args=[client.pk]), {"archived": "0"})
    assert Client.objects.get(pk=client.pk).status == before  # back as he was (here: refused with his deal)
    assert find_duplicates(phone="+79001112233")[0].pk == client.pk


def test_a_client_with_an_open_deal_is_not_archived(world):
    deal = make_deal(world.owner, world.pipeline)
    with unchanged(), pytest.raises(DomainError):
        set_client_archived(actor=world.owner, client=deal.client, archived=True)
