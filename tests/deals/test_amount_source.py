"""One source of truth for the amount: with product lines it is their total; without lines it is entered."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.dbstate import unchanged
from tests.factories import make_deal
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.services import set_deal_lines, update_deal, win_deal

CLOSE = {"expected_close_date": "2099-01-31"}  # a win passes the later stages, which require it


@pytest.fixture
def with_lines(world):
    deal = make_deal(world.owner, world.pipeline)
    return set_deal_lines(actor=world.owner, deal=deal, lines=[{"product": world.product, "quantity": "1"}])


def test_update_refuses_an_amount_that_contradicts_the_lines(world, with_lines):
    assert with_lines.amount == Decimal("120000")
    with unchanged(), pytest.raises(DomainError) as err:
        update_deal(actor=world.owner, deal=Deal.objects.get(pk=with_lines.pk), values={"amount": 5})
    assert err.value.field == "amount" and err.value.code == "amount_from_lines"
    # Re-sending the same total (a form that posts every field) is no contradiction.
    update_deal(actor=world.owner, deal=Deal.objects.get(pk=with_lines.pk),
                values={"amount": "120000", "title": "Новое название"})
    assert Deal.objects.get(pk=with_lines.pk).title == "Новое название"


def test_win_refuses_a_typed_amount_that_contradicts_the_lines(world, with_lines):
    with unchanged(), pytest.raises(DomainError) as err:
        win_deal(actor=world.owner, deal=Deal.objects.get(pk=with_lines.pk), amount="1", values=CLOSE)
    assert err.value.field == "amount"
    won = win_deal(actor=world.owner, deal=Deal.objects.get(pk=with_lines.pk), amount="120000", values=CLOSE)
    assert won.amount == Decimal("120000")


def test_without_lines_the_amount_is_entered(world):
    deal = make_deal(world.owner, world.pipeline)
    update_deal(actor=world.owner, deal=deal, values={"amount": "5"})
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("5")


def test_removing_all_lines_keeps_the_last_total_as_the_entered_amount(world, with_lines):
    deal = set_deal_lines(actor=world.owner, deal=Deal.objects.get(pk=with_lines.pk), lines=[])
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.lines.count(), stored.amount) == (0, Decimal("120000"))
    update_deal(actor=world.owner, deal=stored, values={"amount": "99"})  # entered from now on
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("99")


def test_the_deal_page_shows_the_amount_read_only_when_lines_exist(client, world, with_lines):
    client.force_login(world.owner)
    field_url = reverse("deals:field", args=[with_lines.pk, "amount"])
    html = client.get(reverse("deals:detail", args=[with_lines.pk])).content.decode()
    assert f'hx-get="{field_url}"' not in html
    plain = make_deal(world.owner, world.pipeline)
    html = client.get(reverse("deals:detail", args=[plain.pk])).content.decode()
    assert f'hx-get="{reverse("deals:field", args=[plain.pk, "amount"])}"' in html


def test_an_inline_amount_edit_on_a_deal_with_lines_is_a_field_error(client, world, with_lines):
    client.force_login(world.owner)
    response = client.post(reverse("deals:field", args=[with_lines.pk, "amount"]),
                           {"amount": "5", "version": with_lines.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert Deal.objects.get(pk=with_lines.pk).amount == Decimal("120000")
