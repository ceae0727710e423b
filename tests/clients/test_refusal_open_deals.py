"""Refusing a client loses its open deals with the same reason, or keeps them, as the user says; never half."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal, task_spec
from voronka.activities.services import complete_task, create_task
from voronka.clients.models import Client
from voronka.clients.services import refuse_client
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.services import lose_deal, move_deal, refuse_client_with_deals, win_deal
from voronka.pipelines.services import update_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_with_deals(world):
    c = make_client(world.owner)
    open_deals = [make_deal(world.owner, world.pipeline, client=c) for _ in range(2)]
    won = make_deal(world.owner, world.pipeline, client=c, values={"expected_close_date": "2030-01-31"})
    win_deal(actor=world.owner, deal=won, amount="1000")
    return c, open_deals, won


def _statuses(deals):
    return [Deal.objects.get(pk=d.pk).status for d in deals]


@pytest.mark.parametrize("service", [refuse_client, refuse_client_with_deals])
def test_refusing_a_client_with_open_deals_and_no_choice_is_a_field_error(world, client_with_deals, service):
    c, _open, _won = client_with_deals
    with unchanged(), pytest.raises(DomainError) as exc:
        service(actor=world.owner, client=c, reason=world.reason, comment="Дорого")
    assert exc.value.field == "open_deals"


def test_an_unknown_choice_is_a_field_error(world, client_with_deals):
    c, _open, _won = client_with_deals
    with unchanged(), pytest.raises(DomainError) as exc:
        refuse_client_with_deals(actor=world.owner, client=c, reason=world.reason, open_deals="close")
    assert exc.value.field == "open_deals"


def test_lose_closes_every_open_deal_with_the_same_reason_and_comment(world, client_with_deals):
    c, open_deals, won = client_with_deals
    refuse_client_with_deals(actor=world.owner, client=c, reason=world.reason, comment="Дорого", open_deals="lose")
    for deal in Deal.objects.filter(pk__in=[d.pk for d in open_deals]):
        assert (deal.status, deal.lost_reason_id, deal.lost_comment) == ("lost", world.reason.pk, "Дорого")
        assert not deal.tasks.filter(status="open").exists()
    assert _statuses([won]) == ["won"]
    stored = Client.objects.get(pk=c.pk)
    assert (stored.status, stored.refusal_reason_id, stored.refusal_comment) == ("refused", world.reason.pk,
                                                                                  "Дорого")


def test_keep_leaves_the_open_deals_open(world, client_with_deals):
    c, open_deals, _won = client_with_deals
    refuse_client_with_deals(actor=world.owner, client=c, reason=world.reason, open_deals="keep")
    assert _statuses(open_deals) == ["open", "open"]
    assert Client.objects.get(pk=c.pk).status == "refused"


def test_a_client_without_open_deals_needs_no_choice(world):
    c = make_client(world.owner)
    lose_deal(actor=world.owner, deal=make_deal(world.owner, world.pipeline, client=c), reason=world.reason)
    assert refuse_client_with_deals(actor=world.owner, client=c, reason=world.reason).status == "refused"


def test_the_clients_service_alone_cannot_lose_deals(world, client_with_deals):
    c, _open, _won = client_with_deals
    with unchanged(), pytest.raises(DomainError) as exc:
        refuse_client(actor=world.owner, client=c, reason=world.reason, open_deals="lose")
    assert exc.value.field == "open_deals"


def test_a_deal_that_cannot_be_lost_rolls_the_whole_refusal_back(world, client_with_deals):
    """The second deal sits on a stage whose required field is empty: nothing is lost, nothing refused."""
    c, open_deals, _won = client_with_deals
    proposal = world.pipeline.stages.get(slug="proposal")
    move_deal(actor=world.owner, deal=open_deals[1], stage=proposal, values={"amount": "100"})
    update_stage(actor=world.admin, stage=proposal, required_fields=["amount", "source"])
    with unchanged(), pytest.raises(DomainError):
        refuse_client_with_deals(actor=world.owner, client=c, reason=world.reason, open_deals="lose")
    assert _statuses(open_deals) == ["open", "open"]


def test_a_deal_outside_the_actors_scope_rolls_the_whole_refusal_back(world):
    c = make_client(world.owner)
    mine = make_deal(world.owner, world.pipeline, client=c)
    theirs = make_deal(world.head, world.pipeline, client=c, owner=world.outsider)
    with unchanged(), pytest.raises(DomainError):
        refuse_client_with_deals(actor=world.owner, client=c, reason=world.reason, open_deals="lose")
    assert _statuses([mine, theirs]) == ["open", "open"]


def test_a_client_task_refusal_keeps_the_clients_deals(world, client_with_deals):
    c, open_deals, _won = client_with_deals
    task = create_task(actor=world.owner, client=c, **task_spec())
    complete_task(actor=world.owner, task=task, outcome="refusal", comment="Отказались", lost_reason=world.reason)
    assert Client.objects.get(pk=c.pk).status == "refused"
    assert _statuses(open_deals) == ["open", "open"]


def test_the_dialog_lists_the_open_deals_and_asks_which(client, world, client_with_deals):
    c, open_deals, won = client_with_deals
    client.force_login(world.owner)
    url = reverse("clients:refuse", args=[c.pk])
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    for deal in open_deals:
        assert deal.title in html
    assert won.title not in html and 'name="open_deals"' in html
    with unchanged():
        response = client.post(url, {"lost_reason": world.reason.pk, "comment": "Дорого"}, HTTP_HX_REQUEST="true")
    assert "open_deals" in response.context["form"].errors
    response = client.post(url, {"lost_reason": world.reason.pk, "comment": "Дорого", "open_deals": "lose"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and "HX-Redirect" in response
    assert _statuses(open_deals) == ["lost", "lost"]
