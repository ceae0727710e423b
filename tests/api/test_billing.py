"""The billing API: invoice a deal (body optional), get it, its PDF, its plan and payments, the receivables;
the same scope and problem answers as the rest of the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.conftest import assert_problem
from tests.billing.conftest import deal, requisites, second_product  # noqa: F401 (fixtures)
from voronka.billing.models import Invoice

pytestmark = pytest.mark.django_db


def test_post_without_a_body_invoices_all_lines(world, deal, api):  # noqa: F811
    client = api(world.owner)
    response = client.http.post(f"/api/v1/deals/{deal.pk}/invoices", content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {client.raw}")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 1 and body["total"] == "180000.00" and body["status"] == "issued"
    assert len(body["lines"]) == 2 and body["plan"][0]["remaining"] == "180000.00"
    got = client.get(f"invoices/{body['id']}")
    assert got.status_code == 200 and got.json()["id"] == body["id"]


def test_partial_invoice_plan_payments_and_receivables(world, deal, api):  # noqa: F811
    client = api(world.owner)
    line = deal.lines.order_by("id").first()
    body = client.post(f"deals/{deal.pk}/invoices", {"lines": [line.pk]}).json()
    assert body["total"] == "120000.00"
    half = client.post(f"deals/{deal.pk}/invoices", {"share_pct": "50"}).json()
    assert half["total"] == "90000.00" and half["number"] == 2
    bad = client.http.put(f"/api/v1/invoices/{body['id']}/plan", '{"rows": [{"due_date": "2027-01-01", '
                          '"amount": "1"}]}', content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {client.raw}")
    assert_problem(bad, 400, code="plan_sum")
    plan = client.http.put(f"/api/v1/invoices/{body['id']}/plan", '{"instalments": 2, "first_due": "2027-01-01"}',
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {client.raw}")
    assert plan.status_code == 200 and [r["amount"] for r in plan.json()["plan"]] == ["60000.00", "60000.00"]
    paid = client.post(f"invoices/{body['id']}/payments", {"amount": "70000", "reference": "п/п 5"})
    assert paid.status_code == 201
    out = paid.json()
    assert out["status"] == "partly_paid" and [r["paid"] for r in out["plan"]] == ["60000.00", "10000.00"]
    assert_problem(client.post(f"invoices/{body['id']}/payments", {"amount": "-1"}), 400, field="amount")
    facts = client.get(f"deals/{deal.pk}/invoices").json()["plan_fact"]
    assert facts[0]["invoiced"] == "210000.00" and facts[0]["paid"] == "70000.00"
    rec = client.get("receivables").json()
    assert Decimal(rec["totals"]["RUB"]["total"]) == Decimal("140000.00")


def test_pdf_and_scope(world, deal, api):  # noqa: F811
    invoice_id = api(world.owner).post(f"deals/{deal.pk}/invoices", {}).json()["id"]
    pdf = api(world.owner).get(f"invoices/{invoice_id}/pdf", {"lang": "en"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    outsider = api(world.outsider)
    assert_problem(outsider.get(f"invoices/{invoice_id}"), 404)
    assert_problem(outsider.get(f"invoices/{invoice_id}/pdf"), 404)
    assert_problem(outsider.post(f"deals/{deal.pk}/invoices", {}), 404)
    assert_problem(outsider.post(f"invoices/{invoice_id}/payments", {"amount": "1"}), 404)
    assert outsider.get("receivables").json()["items"] == []
    assert_problem(api(world.owner, scope="read").post(f"deals/{deal.pk}/invoices", {}), 403)
    assert Invoice.objects.count() == 1


def test_shipments_api(world, deal, second_product, api):  # noqa: F811
    client = api(world.owner)
    made = client.post(f"deals/{deal.pk}/shipments", {"number": "ТН-1", "lines": {str(second_product.pk): "2"}})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["lines"] == [{"product": second_product.pk, "name": "Локализация сайта", "quantity": "2.000"}]
    assert_problem(client.post(f"deals/{deal.pk}/shipments", {"number": "ТН-2",
                                                             "lines": {str(second_product.pk): "1"}}), 400,
                   field="lines")
    moved = client.post(f"shipments/{body['id']}/status", {"status": "shipped"})
    assert moved.status_code == 200 and moved.json()["status"] == "shipped"
    pdf = client.get(f"shipments/{body['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert_problem(api(world.outsider).get(f"shipments/{body['id']}"), 404)


def test_acts_api(world, deal, second_product, api):  # noqa: F811
    client = api(world.owner)
    response = client.http.post(f"/api/v1/deals/{deal.pk}/acts", content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {client.raw}")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["total"], body["status"]) == (1, "180000.00", "issued")
    assert_problem(client.post(f"deals/{deal.pk}/acts", {"lines": {str(world.product.pk): "1"}}), 400)
    assert client.get(f"acts/{body['id']}").json()["id"] == body["id"]
    assert [a["id"] for a in client.get(f"deals/{deal.pk}/acts").json()["items"]] == [body["id"]]
    pdf = client.get(f"acts/{body['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    signed = client.post(f"acts/{body['id']}/status", {"status": "signed"})
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    assert_problem(client.post(f"acts/{body['id']}/status", {"status": "cancelled"}), 409)
    draft = client.post(f"deals/{deal.pk}/acts", {"issue": False})
    assert draft.status_code == 400  # nothing is left to deliver
    other = api(world.outsider)
    assert_problem(other.get(f"acts/{body['id']}"), 404)
    assert_problem(other.post(f"deals/{deal.pk}/acts", {}), 404)
