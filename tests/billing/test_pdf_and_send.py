"""The invoice PDF ("Счёт на оплату" and the English variant) with the bundled Cyrillic font, page 1 rendered to
PNG for a look; the invoice sent to the client's contact through a real SMTP server, on the timeline."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from voronka.activities.models import Activity, ActivityKind
from voronka.billing.pdf import FONTS, render_invoice_pdf
from voronka.billing.services import create_invoice, send_invoice
from voronka.core.errors import DomainError, NotFound

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def pdf_fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


def test_the_font_ships_with_its_license():
    assert (FONTS / "DejaVuSans.ttf").stat().st_size > 100_000
    assert "DejaVu" in (FONTS / "LICENSE-DejaVu.txt").read_text()


@needs_poppler
def test_russian_pdf_has_the_layout_in_cyrillic_with_the_bundled_font(world, deal, tmp_path):
    invoice = create_invoice(actor=world.owner, deal=deal)
    pdf = render_invoice_pdf(invoice, language="ru")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    for expected in ("Счёт на оплату № 1/", "ООО «Воронка»", "ООО Ромашка", "ПАО Сбербанк", "044525225",
                     "40702810938000000001", "Переводчик API", "Локализация сайта", "180 000,00",
                     "В том числе НДС", "32 459,01", "Сто восемьдесят тысяч рублей 00 копеек", "Руководитель",
                     "Бухгалтер"):
        assert expected in text, expected
    fonts = [line.split()[0] for line in pdf_fonts(pdf, tmp_path).splitlines()[2:]]
    # only the @font-face family of the bundled file, embedded: no system font fell in
    assert fonts and all(name.split("+")[-1].startswith("VoronkaSans") for name in fonts), fonts
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (tmp_path / "invoice.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        str(tmp_path / "invoice.pdf"), str(ARTIFACTS / "billing-invoice-ru")], check=True)
        assert (ARTIFACTS / "billing-invoice-ru.png").stat().st_size > 10_000


@needs_poppler
def test_english_variant(world, deal, tmp_path):
    invoice = create_invoice(actor=world.owner, deal=deal)
    text = pdf_text(render_invoice_pdf(invoice, language="en"), tmp_path)
    assert "Invoice for payment" in text and "Including VAT" in text and "Buyer" in text
    assert "ООО Ромашка" in text  # the names stay as they are


def test_sending_mails_the_pdf_to_the_contact_and_logs_it(world, deal, smtp_server):
    invoice = create_invoice(actor=world.owner, deal=deal)
    send_invoice(actor=world.owner, invoice=invoice)
    [message] = smtp_server.wait(1)
    assert message["To"] == "anna@romashka.example"
    parts = {part.get_content_type(): part for part in message.walk()}
    assert parts["application/pdf"].get_payload(decode=True).startswith(b"%PDF")
    entry = Activity.objects.get(deal=deal, kind=ActivityKind.EMAIL)
    assert "anna@romashka.example" in entry.body and entry.data["invoice"] == invoice.pk
    invoice.refresh_from_db()
    assert invoice.sent_at is not None


def test_sending_is_refused_for_drafts_outsiders_and_a_client_without_email(world, deal, requisites):
    draft = create_invoice(actor=world.owner, deal=deal, issue=False)
    with pytest.raises(DomainError):
        send_invoice(actor=world.owner, invoice=draft)
    invoice = create_invoice(actor=world.owner, deal=deal)
    with pytest.raises(NotFound):
        send_invoice(actor=world.outsider, invoice=invoice)
    deal.client.contacts.update(email="")
    with pytest.raises(DomainError) as err:
        send_invoice(actor=world.owner, invoice=invoice)
    assert err.value.field == "to"
