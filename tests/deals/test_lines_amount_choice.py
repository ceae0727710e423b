"""Money that does not change behind the user's back: the first product lines of a deal with an entered
amount replace it only when the user (or the API/import caller) confirms it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_deal
from voronka.core.errors import DomainError
from voronka.deals.services import move_deal, update_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    qualified = world.pipeline.stages.get(slug="qualified")
    qualified.required_fields = ["lines"]
    qualified.save(update_fields=["required_fields"])
    deal = make_deal(world.owner, world.pipeline, values={"amount": 540000})
    return deal, qualified


def line(world, price="300000"):
    return [{"product": world.product.pk, "quantity": 1, "price": price}]


def test_a_move_with_lines_of_another_total_is_refused_naming_both_figures(world, setup):
    deal, stage = setup
    with pytest.raises(DomainError) as err:
        move_deal(actor=world.owner, deal=deal, stage=stage, values={"lines": line(world)})
    assert err.value.field == "amount_from_lines" and err.value.code == "lines_total_differs"
    assert "300\u00a0000" in err.value.message and "540\u00a0000" in err.value.message
    deal.refresh_from_db()
    assert deal.amount == Decimal("540000") and deal.stage.slug == "received" and not deal.lines.exists()


def test_confirmed_the_amount_becomes_the_lines_total(world, setup):
    deal, stage = setup
    move_deal(actor=world.owner, deal=deal, stage=stage, values={"lines": line(world), "amount_from_lines": True})
    deal.refresh_from_db()
    assert deal.amount == Decimal("300000") and deal.stage_id == stage.pk


def test_lines_matching_the_amount_need_no_confirmation(world, setup):
    deal, stage = setup
    move_deal(actor=world.owner, deal=deal, stage=stage, values={"lines": line(world, "540000")})
    deal.refresh_from_db()
    assert deal.amount == Decimal("540000") and deal.lines.count() == 1


def test_the_same_rule_holds_for_an_edit(world, setup):
    deal, _ = setup
    with pytest.raises(DomainError):
        update_deal(actor=world.owner, deal=deal, values={"lines": line(world)})
    update_deal(actor=world.owner, deal=deal, values={"lines": line(world), "amount_from_lines": "true"})
    deal.refresh_from_db()
    assert deal.amount == Decimal("300000")


def test_a_deal_without_amount_takes_the_lines_total(world):
    deal = make_deal(world.owner, world.pipeline)
    update_deal(actor=world.owner, deal=deal, values={"lines": line(world)})
    deal.refresh_from_db()
    assert deal.amount == Decimal("300000")


def test_the_move_dialog_shows_the_amount_and_the_choice(client, world, setup):
    deal, stage = setup
    client.force_login(world.owner)
    response = client.post(f"/deals/{deal.pk}/move/", {"stage": stage.pk, "ctx": "page"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'data-testid="amount-choice"' in html and "540\u00a0000" in html and 'name="amount_from_lines"' in html
    assert "data-prices=" in html and "120000" in html  # the product's price, for the price field


def test_an_amount_typed_with_matching_lines_needs_no_confirmation(world, setup):
    deal, stage = setup
    move_deal(actor=world.owner, deal=deal, stage=stage, values={"amount": "300000", "lines": line(world)})
    deal.refresh_from_db()
    assert deal.amount == Decimal("300000")
