"""Service acts: made from the deal's products (never more than is left to deliver: ordered − shipped − in acts),
numbered per year without gaps when issued (a cancelled act keeps its number), draft → issued → signed,
amounts and VAT as an independent computation, the PDF (page 1 rendered to PNG), the API and the deal page."""

from __future__ import annotations

import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from tests.factories import make_client, make_deal
from voronka.activities.models import Activity
from voronka.billing.models import Act, ActCounter, ActStatus
from voronka.billing.pdf import render_act_pdf
from voronka.billing.selectors import left_to_ship
from voronka.billing.services import cancel_act, create_act, create_shipment, issue_act, sign_act
from voronka.core.errors import Conflict, DomainError, NotFound
from voronka.deals.services import lose_deal

pytestmark = pytest.mark.django_db
D = Decimal
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _left(deal) -> dict[int, Decimal]:
    return {row.product_id: row.remaining for row in left_to_ship(deal=deal)}


def _vat_included(amount: Decimal, rate: int) -> Decimal:
    return (amount * rate / (100 + rate)).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_an_act_of_everything_left_numbers_and_sums(world, deal, second_product):
    act = create_act(actor=world.owner, deal=deal)
    year = timezone.localdate().year
    assert (act.number, act.year, act.status) == (1, year, ActStatus.ISSUED)
    lines = {line.product_id: line for line in act.lines.all()}
    assert lines[world.product.pk].quantity == 1 and lines[second_product.pk].quantity == 2
    # the deal: 1 × 120 000 and 2 × 30 000; VAT 22 % included (the requisites' default)
    assert act.total == D("180000.00") and act.vat_amount == _vat_included(D("120000"), 22) + _vat_included(
        D("60000"), 22)
    assert act.seller["legal_name"] == "ООО «Воронка»" and act.buyer["name"] == "ООО Ромашка"
    assert _left(deal) == {world.product.pk: 0, second_product.pk: 0}
    with pytest.raises(DomainError) as exc:
        create_act(actor=world.owner, deal=deal)
    assert exc.value.field == "lines"
    assert Activity.objects.filter(deal=deal, data__act=act.pk).exists()


def test_partial_acts_shipments_and_cancel_share_what_is_left(world, deal, second_product):
    create_shipment(actor=world.owner, deal=deal, number="ТН-1", lines={second_product.pk: 1})
    with pytest.raises(DomainError) as exc:
        create_act(actor=world.owner, deal=deal, lines={second_product.pk: "2"})
    assert "не больше 1" in exc.value.message
    first = create_act(actor=world.owner, deal=deal, lines={second_product.pk: "1"})
    assert first.total == D("30000.00")
    second = create_act(actor=world.owner, deal=deal, lines={world.product.pk: "0.5"})
    assert second.total == D("60000.00") and second.number == 2
    assert _left(deal) == {world.product.pk: D("0.5"), second_product.pk: 0}
    cancel_act(actor=world.owner, act=second)
    assert _left(deal)[world.product.pk] == 1  # a cancelled act gives its quantities back
    third = create_act(actor=world.owner, deal=deal, lines={world.product.pk: "1"})
    assert third.number == 3  # the cancelled act keeps number 2: no gap, no reuse
    assert sorted(Act.objects.values_list("number", flat=True)) == [1, 2, 3]
    with pytest.raises(DomainError):
        create_shipment(actor=world.owner, deal=deal, number="ТН-2", lines={world.product.pk: 1})


def test_statuses_draft_issue_sign_and_the_refused_moves(world, deal):
    draft = create_act(actor=world.owner, deal=deal, issue=False)
    assert draft.number is None and draft.status == ActStatus.DRAFT
    with pytest.raises(DomainError):
        render_act_pdf(draft)
    other = create_act(actor=world.owner, deal=make_deal(world.owner, world.pipeline, values={"amount": "500"}))
    assert other.number == 1  # a draft takes no number
    issued = issue_act(actor=world.owner, act=draft)
    assert issued.number == 2
    with pytest.raises(Conflict):
        issue_act(actor=world.owner, act=issued)
    signed = sign_act(actor=world.owner, act=issued)
    assert signed.status == ActStatus.SIGNED and signed.signed_at is not None
    with pytest.raises(Conflict):
        cancel_act(actor=world.owner, act=signed)
    assert ActCounter.objects.get(year=timezone.localdate().year).last_number == 2


def test_a_deal_without_lines_is_acted_once_for_its_amount(world, requisites):
    deal = make_deal(world.owner, world.pipeline, values={"amount": "4500"})
    act = create_act(actor=world.owner, deal=deal)
    [line] = act.lines.all()
    assert (line.name, line.amount, act.total) == (deal.title, D("4500.00"), D("4500.00"))
    with pytest.raises(DomainError):
        create_act(actor=world.owner, deal=deal)
    cancel_act(actor=world.owner, act=act)
    assert create_act(actor=world.owner, deal=deal).number == 2


def test_scope_lost_deals_bad_input(world, deal, second_product):
    with pytest.raises(NotFound):
        create_act(actor=world.outsider, deal=deal)
    act = create_act(actor=world.owner, deal=deal, lines={world.product.pk: "1"})
    with pytest.raises(NotFound):
        cancel_act(actor=world.outsider, act=act)
    for lines in ({"999999": "1"}, {str(world.product.pk): "-1"}, {str(world.product.pk): "abc"}, ["x"]):
        with pytest.raises(DomainError) as exc:
            create_act(actor=world.owner, deal=deal, lines=lines)
        assert exc.value.field == "lines"
    with pytest.raises(DomainError) as exc:
        create_act(actor=world.owner, deal=deal, act_date="2999-01-01")
    assert exc.value.field == "act_date"
    lost = make_deal(world.owner, world.pipeline, client=make_client(world.owner), values={"amount": "10"})
    lose_deal(actor=world.owner, deal=lost, reason=world.reason)
    with pytest.raises(DomainError):
        create_act(actor=world.owner, deal=lost)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_act_pdf_in_russian_and_english(world, deal, tmp_path):
    act = create_act(actor=world.owner, deal=deal)
    path = tmp_path / "act.pdf"
    path.write_bytes(render_act_pdf(act))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    for expected in (f"Акт об оказании услуг № 1/{act.year}", "Исполнитель", "Заказчик", "ООО «Воронка»",
                     "ООО Ромашка", "Переводчик API", "180 000,00", "Сто восемьдесят тысяч рублей 00 копеек",
                     "претензий"):
        assert expected in text, expected
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path),
                        str(ARTIFACTS / "billing-act-ru")], check=True)
        assert (ARTIFACTS / "billing-act-ru.png").stat().st_size > 10_000
    path.write_bytes(render_act_pdf(act, language="en"))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "Act of services rendered" in text and "Contractor" in text and "Customer" in text


def test_the_deal_page_lists_acts_and_the_form_records_one(world, deal, second_product):
    http = HttpClient()
    http.force_login(world.owner)
    panel = http.get(f"/deals/{deal.pk}/invoices/panel/").content.decode()
    assert 'id="act-new"' in panel
    form = http.get(f"/deals/{deal.pk}/acts/new/")
    assert form.status_code == 200
    bad = http.post(f"/deals/{deal.pk}/acts/new/", {f"qty_{second_product.pk}": "5"})
    assert bad.status_code == 400 and "не больше 2" in bad.content.decode()
    done = http.post(f"/deals/{deal.pk}/acts/new/", {f"qty_{second_product.pk}": "2", "comment": "Этап 1"})
    assert done.status_code == 302
    act = Act.objects.get(deal=deal)
    panel = http.get(f"/deals/{deal.pk}/invoices/panel/").content.decode()
    assert f"№ {act.display_number}" in panel and f"/acts/{act.pk}/pdf/" in panel
    pdf = http.get(f"/acts/{act.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert http.post(f"/acts/{act.pk}/sign/").status_code == 302
    assert Act.objects.get(pk=act.pk).status == ActStatus.SIGNED
    assert http.post(f"/acts/{act.pk}/nonsense/").status_code == 404
    outsider = HttpClient()
    outsider.force_login(world.outsider)
    assert outsider.get(f"/acts/{act.pk}/pdf/").status_code == 404
    assert outsider.post(f"/acts/{act.pk}/cancel/").status_code == 404
