"""Shipments: products and quantities of the deal, never more than is left to ship; statuses; the waybill PDF;
the page and scope."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from voronka.billing.models import Shipment
from voronka.billing.pdf import render_shipment_pdf
from voronka.billing.selectors import left_to_ship
from voronka.billing.services import create_shipment, set_shipment_status
from voronka.core.errors import DomainError, NotFound

pytestmark = pytest.mark.django_db


def test_left_to_ship_and_the_limits(world, deal, second_product):
    create_shipment(actor=world.owner, deal=deal, number="ТН-1", lines={str(second_product.pk): "1"})
    left = {row.name: row.remaining for row in left_to_ship(deal=deal)}
    assert left == {"Переводчик API": Decimal("1"), "Локализация сайта": Decimal("1")}
    with pytest.raises(DomainError) as err:
        create_shipment(actor=world.owner, deal=deal, number="ТН-2", lines={str(second_product.pk): "2"})
    assert err.value.field == "lines"
    with pytest.raises(DomainError):
        create_shipment(actor=world.owner, deal=deal, number="ТН-2", lines={"999999": "1"})
    with pytest.raises(DomainError) as err:
        create_shipment(actor=world.owner, deal=deal, number=" ")
    assert err.value.field == "number"
    rest = create_shipment(actor=world.owner, deal=deal, number="ТН-2")  # all that is left
    assert {line.name: line.quantity for line in rest.lines.all()} == {"Переводчик API": 1, "Локализация сайта": 1}
    assert all(row.remaining == 0 for row in left_to_ship(deal=deal))
    with pytest.raises(DomainError):
        create_shipment(actor=world.owner, deal=deal, number="ТН-3")
    set_shipment_status(actor=world.owner, shipment=rest, status="shipped")
    set_shipment_status(actor=world.owner, shipment=rest, status="returned")
    assert sum(row.remaining for row in left_to_ship(deal=deal)) == 2  # a return is left to ship again
    with pytest.raises(DomainError):
        set_shipment_status(actor=world.owner, shipment=rest, status="delivered")
    with pytest.raises(NotFound):
        create_shipment(actor=world.outsider, deal=deal, number="X")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_waybill_pdf(world, deal, tmp_path):
    shipment = create_shipment(actor=world.owner, deal=deal, number="УПД-7")
    path = tmp_path / "w.pdf"
    path.write_bytes(render_shipment_pdf(shipment))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Товарная накладная № УПД-7" in text and "Локализация сайта" in text and "ООО Ромашка" in text


def test_shipment_pages(world, deal):
    http = HttpClient()
    http.force_login(world.owner)
    url = reverse("billing:shipment_create", args=[deal.pk])
    assert http.get(url).status_code == 200
    response = http.post(url, {"number": "ТН-9", "status": "shipped",
                               f"qty_{world.product.pk}": "1"})
    assert response.status_code == 302
    shipment = Shipment.objects.get()
    assert shipment.status == "shipped" and shipment.lines.get().quantity == 1
    panel = http.get(reverse("billing:deal_panel", args=[deal.pk])).content.decode()
    assert "ТН-9" in panel
    pdf = http.get(reverse("billing:shipment_pdf", args=[shipment.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    http.post(reverse("billing:shipment_status", args=[shipment.pk]), {"status": "delivered"})
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    outsider = HttpClient()
    outsider.force_login(world.outsider)
    assert outsider.get(reverse("billing:shipment_pdf", args=[shipment.pk])).status_code == 404
    assert outsider.post(url, {"number": "X", "status": "planned"}).status_code == 404
