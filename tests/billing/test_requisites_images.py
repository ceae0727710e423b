"""Logo, stamp and signature of the company: validated uploads (PNG/JPEG, size, a real image), stored under the
data directory by their hash, printed on the invoice and the waybill PDFs (page 1 rendered to PNG for a look);
an issued invoice keeps the images it was issued with."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from PIL import Image, ImageDraw

from voronka.billing.images import MAX_BYTES, image_path, media_dir, set_requisites_image
from voronka.billing.models import CompanyRequisites
from voronka.billing.pdf import render_invoice_html, render_invoice_pdf, render_shipment_pdf
from voronka.billing.services import create_invoice, create_shipment
from voronka.core.errors import DomainError, Forbidden
from voronka.events.models import OutboxEvent

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
needs_poppler = pytest.mark.skipif(shutil.which("pdfimages") is None, reason="needs poppler-utils")


def png(kind: str, size=(360, 120), fmt="PNG") -> bytes:
    img = Image.new("RGBA" if fmt == "PNG" else "RGB", size, (255, 255, 255, 0) if fmt == "PNG" else "white")
    draw = ImageDraw.Draw(img)
    if kind == "logo":
        draw.rectangle([0, 0, size[0] - 1, size[1] - 1], fill=(31, 95, 191, 255))
        draw.polygon([(20, 20), (size[0] // 3, 20), (size[0] // 6, size[1] - 20)], fill="white")
    elif kind == "stamp":
        draw.ellipse([4, 4, size[0] - 4, size[1] - 4], outline=(30, 60, 200, 220), width=8)
        draw.ellipse([30, 30, size[0] - 30, size[1] - 30], outline=(30, 60, 200, 220), width=4)
    else:
        draw.line([(5, 80), (60, 20), (110, 90), (170, 30), (230, 85), (300, 40)], fill=(20, 20, 120, 255), width=6)
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


@pytest.fixture
def images(world, requisites):
    set_requisites_image(actor=world.admin, kind="logo", data=png("logo"))
    set_requisites_image(actor=world.admin, kind="stamp", data=png("stamp", (300, 300)))
    set_requisites_image(actor=world.admin, kind="signature", data=png("signature", (320, 110), "JPEG"))
    return CompanyRequisites.objects.get(pk=1)


def test_uploads_are_stored_under_the_data_dir_by_hash_and_audited(world, images):
    for kind, ext in (("logo", "png"), ("stamp", "png"), ("signature", "jpg")):
        name = getattr(images, kind)
        assert name.startswith(f"{kind}-") and name.endswith(f".{ext}")
        path = image_path(name)
        assert path is not None and path.parent == media_dir()
        assert str(path).startswith(str(Path(settings.DATA_DIR)))
    assert OutboxEvent.objects.filter(verb="billing.requisites_updated").count() >= 3
    set_requisites_image(actor=world.admin, kind="logo", remove=True)
    assert CompanyRequisites.objects.get(pk=1).logo == ""
    assert image_path(images.logo) is not None  # the file stays: invoices issued with it print it


@pytest.mark.parametrize(("data", "message"), [
    (b"just text, not an image", "PNG или JPEG"),
    (b"GIF89a" + b"\0" * 100, "PNG или JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "не читается"),
    (b"\xff\xd8\xff" + b"\0" * 50, "не читается"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_BYTES + 1), "больше 1024 КБ"),
    (b"", "PNG или JPEG"),
])
def test_bad_uploads_are_refused_with_a_field_error(world, requisites, data, message):
    with pytest.raises(DomainError) as exc:
        set_requisites_image(actor=world.admin, kind="stamp", data=data)
    assert exc.value.field == "stamp" and message in exc.value.message
    assert CompanyRequisites.objects.get(pk=1).stamp == ""


def test_a_huge_picture_and_an_unknown_kind_and_a_manager_are_refused(world, requisites):
    with pytest.raises(DomainError) as exc:
        set_requisites_image(actor=world.admin, kind="logo", data=png("logo", (4100, 10)))
    assert "пикселей" in exc.value.message
    with pytest.raises(DomainError) as exc:
        set_requisites_image(actor=world.admin, kind="avatar", data=png("logo"))
    assert exc.value.field == "kind"
    with pytest.raises(Forbidden):
        set_requisites_image(actor=world.owner, kind="logo", data=png("logo"))


def test_a_name_outside_the_media_folder_is_never_read(world, images):
    assert image_path("../secret_key") is None and image_path("/etc/passwd") is None and image_path("") is None
    html = render_invoice_html(create_invoice(actor=world.owner, deal=_deal(world)))
    assert "data-image=\"logo\"" in html


def _deal(world):
    from tests.factories import make_client, make_deal

    return make_deal(world.owner, world.pipeline, client=make_client(world.owner, name="ООО Ромашка"),
                     lines=[{"product": world.product.pk, "quantity": 2, "price": "1000"}])


def _images_in(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True).stdout
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path),
                        str(ARTIFACTS / name)], check=True)
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
    return [line.split()[2] for line in out.splitlines()[2:]]


@needs_poppler
def test_the_invoice_and_the_waybill_print_the_images_and_an_issued_invoice_keeps_them(world, images, tmp_path):
    deal = _deal(world)
    invoice = create_invoice(actor=world.owner, deal=deal)
    kinds = _images_in(render_invoice_pdf(invoice), tmp_path, "billing-invoice-with-stamp")
    # the logo, the stamp, the signature (a PNG with transparency adds its soft mask)
    assert kinds.count("image") == 3, kinds
    shipment = create_shipment(actor=world.owner, deal=deal, number="ТН-1",
                               lines={world.product.pk: 1})
    assert _images_in(render_shipment_pdf(shipment), tmp_path, "billing-waybill-with-stamp").count("image") == 3
    for kind in ("logo", "stamp", "signature"):
        set_requisites_image(actor=world.admin, kind=kind, remove=True)
    assert _images_in(render_invoice_pdf(invoice), tmp_path, "x").count("image") == 3  # issued with them
    later = create_invoice(actor=world.owner, deal=deal)
    assert _images_in(render_invoice_pdf(later), tmp_path, "y") == []
    assert _images_in(render_shipment_pdf(shipment), tmp_path, "z") == []


def test_the_settings_page_uploads_shows_and_refuses(world, requisites):
    http = HttpClient()
    http.force_login(world.admin)
    page = http.get("/settings/billing/requisites/images/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    assert "/settings/billing/requisites/images/" in http.get("/settings/billing/requisites/").content.decode()
    bad = http.post("/settings/billing/requisites/images/",
                    {"logo": SimpleUploadedFile("logo.png", b"<svg></svg>", content_type="image/png")})
    assert bad.status_code == 400 and "PNG или JPEG" in bad.content.decode()
    done = http.post("/settings/billing/requisites/images/",
                     {"logo": SimpleUploadedFile("logo.png", png("logo"), content_type="image/png")})
    assert done.status_code == 302
    shown = http.get("/settings/billing/requisites/images/logo/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content).startswith(b"\x89PNG")
    assert http.get("/settings/billing/requisites/images/stamp/").status_code == 404
    manager = HttpClient()
    manager.force_login(world.owner)
    assert manager.get("/settings/billing/requisites/images/").status_code in (302, 403, 404)
    assert manager.get("/settings/billing/requisites/images/logo/").status_code in (302, 403, 404)
