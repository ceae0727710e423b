"""update_deal: validated values, audit, scope; a deal keeps what its stage (or its outcome) requires."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.dbstate import stage_of, unchanged
from tests.factories import make_deal
from voronka.accounts.services import get_system_actor
from voronka.audit.models import AuditEntry
from voronka.catalog.models import CustomFieldDefinition, Product
from voronka.core.errors import DomainError, Forbidden, MissingFields
from voronka.deals.models import Deal
from voronka.deals.services import StaleDeal, set_deal_lines, update_deal, win_deal
from voronka.pipelines.services import add_stage


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline)


@pytest.fixture
def signed_deal(world):
    return make_deal(world.owner, world.pipeline, stage=stage_of(world.pipeline, "signed"),
                     values={"amount": "50000", "expected_close_date": "2030-06-30"})


def test_update_deal_saves_values_bumps_the_version_and_audits_the_change(world, deal):
    update_deal(actor=world.owner, deal=deal, values={"amount": "7 500,5", "title": "Новое имя"})
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.amount, stored.title, stored.version) == (Decimal("7500.50"), "Новое имя", 2)
    entry = AuditEntry.objects.get(action="deal.updated", object_id=str(deal.pk), field="amount")
    assert (Decimal(entry.old), Decimal(entry.new)) == (Decimal("0"), Decimal("7500.50"))


def test_update_deal_cannot_clear_a_required_field_of_the_current_stage(world, signed_deal):
    with unchanged(), pytest.raises(MissingFields) as exc:
        update_deal(actor=world.owner, deal=signed_deal, values={"expected_close_date": None})
    assert exc.value.fields == ["expected_close_date"]


def test_update_deal_cannot_zero_the_amount_the_current_stage_requires(world, signed_deal):
    with unchanged(), pytest.raises(MissingFields) as exc:
        update_deal(actor=world.owner, deal=signed_deal, values={"amount": ""})
    assert exc.value.fields == ["amount"]


def test_update_deal_may_clear_a_field_the_current_stage_does_not_require(world):
    deal = make_deal(world.owner, world.pipeline, values={"expected_close_date": "2030-01-01"})
    update_deal(actor=world.owner, deal=deal, values={"expected_close_date": ""})
    assert Deal.objects.get(pk=deal.pk).expected_close_date is None


def test_update_deal_rejects_a_negative_amount(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"amount": "-0.01"})
    assert exc.value.field == "amount"


def test_update_deal_rejects_an_empty_title(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"title": " "})
    assert exc.value.field == "title"


def test_update_deal_rejects_a_bad_date(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"expected_close_date": "31.12.2030"})
    assert exc.value.field == "expected_close_date"


def test_update_deal_rejects_an_unknown_field(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"status": "won"})
    assert exc.value.field == "status"


def test_update_deal_rejects_an_unknown_product_id(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"product": 987654})
    assert exc.value.field == "product"


def test_update_deal_rejects_an_unknown_custom_field(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"cf:x": "1"})
    assert exc.value.field == "cf:x"


@pytest.fixture
def money_field(db):
    return CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")


def test_update_deal_rejects_text_for_a_money_custom_field(world, deal, money_field):
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"cf:budget": "abc"})
    assert exc.value.field == "cf:budget"


def test_update_deal_stores_a_custom_value_normalised_and_removes_it_when_emptied(world, deal, money_field):
    update_deal(actor=world.owner, deal=deal, values={"cf:budget": "1 000,5"})
    assert Deal.objects.get(pk=deal.pk).custom == {"budget": "1000.50"}
    update_deal(actor=world.owner, deal=Deal.objects.get(pk=deal.pk), values={"cf:budget": ""})
    assert Deal.objects.get(pk=deal.pk).custom == {}


def test_update_deal_cannot_clear_a_required_custom_field(world, money_field):
    stage = add_stage(actor=get_system_actor(), pipeline=world.pipeline, name="Бюджет согласован", required_fields=["cf:budget"],
                      position=2)
    deal = make_deal(world.owner, world.pipeline, stage=stage, values={"cf:budget": "10"})
    with unchanged(), pytest.raises(MissingFields) as exc:
        update_deal(actor=world.owner, deal=deal, values={"cf:budget": None})
    assert exc.value.fields == ["cf:budget"]


def test_update_deal_of_another_manager_is_forbidden(world, deal):
    with unchanged(), pytest.raises(Forbidden):
        update_deal(actor=world.teammate, deal=deal, values={"amount": "1"})


def test_update_deal_by_an_analyst_is_forbidden(world, deal):
    with unchanged(), pytest.raises(Forbidden):
        update_deal(actor=world.analyst, deal=deal, values={"amount": "1"})


def test_a_lead_can_update_a_teammates_deal(world, deal):
    update_deal(actor=world.lead, deal=deal, values={"amount": "10"})
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("10.00")


def test_update_deal_from_a_stale_copy_is_refused(world, deal):
    copy = Deal.objects.get(pk=deal.pk)
    update_deal(actor=world.owner, deal=deal, values={"amount": "1"})
    with unchanged(), pytest.raises(StaleDeal):
        update_deal(actor=world.owner, deal=copy, values={"amount": "2"})
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("1.00")


def test_update_deal_with_a_mismatching_expected_version_is_refused(world, deal):
    with unchanged(), pytest.raises(StaleDeal):
        update_deal(actor=world.owner, deal=deal, values={"amount": "1"}, expected_version=deal.version + 1)


def test_update_deal_cannot_zero_the_amount_of_a_won_deal(world, deal):
    won = win_deal(actor=world.owner, deal=deal, amount="1000", values={"expected_close_date": "2030-01-31"})
    with unchanged(), pytest.raises(MissingFields) as exc:
        update_deal(actor=world.owner, deal=won, values={"amount": "0"})
    assert exc.value.fields == ["amount"]


def test_set_deal_lines_cannot_empty_the_amount_of_a_won_deal(world):
    product = Product.objects.get(pk=world.product.pk)
    deal = make_deal(world.owner, world.pipeline, lines=[{"product": product, "quantity": 2}])
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("240000.00")
    won = win_deal(actor=world.owner, deal=Deal.objects.get(pk=deal.pk), values={"expected_close_date": "2030-01-31"})
    with unchanged(), pytest.raises(MissingFields):
        set_deal_lines(actor=world.owner, deal=won, lines=[{"product": product, "quantity": 1, "price": "0"}])
    # Removing every line keeps the last total as the entered amount.
    set_deal_lines(actor=world.owner, deal=Deal.objects.get(pk=deal.pk), lines=[])
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("240000.00")


def test_set_deal_lines_sets_the_amount_to_their_total(world, deal):
    set_deal_lines(actor=world.owner, deal=deal, lines=[
        {"product": world.product.pk, "quantity": "1.5", "price": "1000", "discount_pct": "10"},
        {"product": world.product, "quantity": 1, "price": "100"},
    ])
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.amount == Decimal("1450.00")
    assert stored.lines.count() == 2


def test_set_deal_lines_rejects_a_bad_discount(world, deal):
    with unchanged(), pytest.raises(DomainError) as exc:
        set_deal_lines(actor=world.owner, deal=deal, lines=[{"product": world.product, "discount_pct": "150"}])
    assert exc.value.field == "lines"


def test_update_deal_keeps_the_date_type(world, deal):
    update_deal(actor=world.owner, deal=deal, values={"expected_close_date": dt.date(2031, 5, 1)})
    assert Deal.objects.get(pk=deal.pk).expected_close_date == dt.date(2031, 5, 1)
