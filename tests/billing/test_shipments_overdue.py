"""Control list of overdue shipments: planned ones past their date, shipped ones not delivered in time; in
scope, one query for the list, the page in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from voronka.billing.selectors import DELIVERY_DAYS, overdue_shipments
from voronka.billing.services import create_shipment, set_shipment_status

pytestmark = pytest.mark.django_db


def test_overdue_shipments_are_listed_in_scope_most_overdue_first(world, deal, second_product,
                                                                 django_assert_max_num_queries):
    today = dt.date(2026, 12, 1)
    line = {str(second_product.pk): "1"}
    late = create_shipment(actor=world.owner, deal=deal, number="ТН-1", lines=line,
                           shipped_on=(today - dt.timedelta(days=3)).isoformat())
    create_shipment(actor=world.owner, deal=deal, number="ТН-2", lines={str(world.product.pk): "1"},
                    shipped_on=today.isoformat())  # planned for today: not late yet
    sent = create_shipment(actor=world.owner, deal=deal, number="ТН-3", lines=line,
                           shipped_on=(today - dt.timedelta(days=DELIVERY_DAYS + 5)).isoformat())
    set_shipment_status(actor=world.owner, shipment=sent, status="shipped")
    with django_assert_max_num_queries(1):
        rows = overdue_shipments(actor=world.owner, today=today)
    assert [(r.number, r.days_overdue) for r in rows] == [("ТН-3", 5), ("ТН-1", 3)]
    set_shipment_status(actor=world.owner, shipment=late, status="shipped")
    set_shipment_status(actor=world.owner, shipment=sent, status="delivered")
    assert overdue_shipments(actor=world.owner, today=today) == []
    assert overdue_shipments(actor=world.outsider, today=today + dt.timedelta(days=60)) == []
    assert [r.number for r in overdue_shipments(actor=world.owner, today=today + dt.timedelta(days=60))] == ["ТН-1", "ТН-2"]


def test_the_overdue_shipments_page(world, deal, second_product, django_assert_max_num_queries):
    create_shipment(actor=world.owner, deal=deal, number="ТН-9", lines={str(second_product.pk): "1"},
                    shipped_on=(dt.date.today() - dt.timedelta(days=2)).isoformat())
    http = HttpClient()
    http.force_login(world.owner)
    http.get(reverse("billing:shipments_overdue"))
    with django_assert_max_num_queries(8):  # session, user, menus and the one list query
        page = http.get(reverse("billing:shipments_overdue")).content.decode()
    assert 'data-testid="shipments-overdue"' in page and "ТН-9" in page
    other = HttpClient()
    other.force_login(world.outsider)
    assert "ТН-9" not in other.get(reverse("billing:shipments_overdue")).content.decode()
