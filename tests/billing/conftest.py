"""Billing fixtures: a deal with two product lines, the company's requisites filled in."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_client, make_deal
from voronka.billing.services import update_requisites
from voronka.catalog.models import Product
from voronka.clients.services import add_contact


@pytest.fixture
def requisites(world):
    return update_requisites(actor=world.admin, legal_name="ООО «Воронка»", inn="7701234567", kpp="770101001",
                             ogrn="1027700132195", address="г. Москва, ул. Тверская, д. 1",
                             bank_name="ПАО Сбербанк", bik="044525225", corr_account="30101810400000000225",
                             settlement_account="40702810938000000001", director="Иванов И. И.",
                             accountant="Петрова А. А.", vat_rate="22", prices_include_vat=True)


@pytest.fixture
def second_product(world):
    return Product.objects.create(name="Локализация сайта", price=Decimal("30000"))


@pytest.fixture
def deal(world, requisites, second_product):
    client = make_client(world.owner, name="ООО Ромашка", inn="7702345678", kpp="770201001")
    add_contact(actor=world.owner, client=client, name="Анна Смирнова", email="anna@romashka.example",
                is_primary=True)
    return make_deal(world.owner, world.pipeline, client=client, lines=[
        {"product": world.product.pk, "quantity": 1, "price": "120000"},
        {"product": second_product.pk, "quantity": 2, "price": "30000"},
    ])
