"""PDFs of invoices ("Счёт на оплату", and an English variant) from an HTML template with weasyprint.

The font (DejaVu Sans, with its license) ships in the app's static folder and is named by a file URL, so the
rendering never depends on the fonts of the machine.
"""

from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from voronka.core.errors import DomainError

from .images import image_uris
from .models import Invoice
from .selectors import invoice_facts
from .words import amount_in_words

FONTS = Path(__file__).resolve().parent / "static" / "billing" / "fonts"
LANGUAGES = ("ru", "en")


def local_only():
    """A weasyprint fetcher of the bundled fonts and the stored images only: no network, no other file."""
    from weasyprint.urls import URLFetcher

    from .images import media_dir

    roots = tuple(f"{root.as_uri()}/" for root in (FONTS, media_dir()))

    class LocalOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(roots) or ".." in url:
                raise ValueError(f"not fetched: {url[:80]}")
            return super().fetch(url, headers)

    return LocalOnly(allowed_protocols=("file",))


def invoice_context(invoice: Invoice) -> dict:
    rows, _overpaid = invoice_facts(invoice)
    return {"invoice": invoice, "lines": list(invoice.lines.all()), "seller": invoice.seller or {},
            "buyer": invoice.buyer or {}, "words": amount_in_words(invoice.total, invoice.currency),
            "plan": rows, "images": image_uris(invoice.seller or {}), "font_regular": (FONTS / "DejaVuSans.ttf").as_uri(),
            "font_bold": (FONTS / "DejaVuSans-Bold.ttf").as_uri()}


def render_invoice_html(invoice: Invoice, *, language: str = "ru") -> str:
    with translation.override(language if language in LANGUAGES else "ru"):
        return render_to_string("billing/invoice_pdf.html", invoice_context(invoice))


def render_invoice_pdf(invoice: Invoice, *, language: str = "ru") -> bytes:
    from weasyprint import HTML  # imported on use: loading pango costs time at start-up

    return HTML(string=render_invoice_html(invoice, language=language), base_url=str(FONTS),
                url_fetcher=local_only()).write_pdf()


def render_shipment_pdf(shipment, *, language: str = "ru") -> bytes:
    """The waybill («Товарная накладная») of a shipment, in the same way as invoices."""
    from weasyprint import HTML

    from .selectors import get_requisites

    deal = shipment.deal
    seller = get_requisites()
    images = image_uris({kind: getattr(seller, kind) for kind in ("logo", "stamp", "signature")})
    context = {"shipment": shipment, "lines": list(shipment.lines.all()), "seller": seller, "images": images,
               "client": deal.client, "font_regular": (FONTS / "DejaVuSans.ttf").as_uri(),
               "font_bold": (FONTS / "DejaVuSans-Bold.ttf").as_uri()}
    with translation.override(language if language in LANGUAGES else "ru"):
        html = render_to_string("billing/waybill_pdf.html", context)
    return HTML(string=html, base_url=str(FONTS), url_fetcher=local_only()).write_pdf()


def render_act_html(act, *, language: str = "ru") -> str:
    """The service act («Акт выполненных работ (оказанных услуг)») of an issued act, with its seller snapshot."""
    context = {"act": act, "lines": list(act.lines.all()), "seller": act.seller or {}, "buyer": act.buyer or {},
               "words": amount_in_words(act.total, act.currency), "images": image_uris(act.seller or {}),
               "font_regular": (FONTS / "DejaVuSans.ttf").as_uri(), "font_bold": (FONTS / "DejaVuSans-Bold.ttf").as_uri()}
    with translation.override(language if language in LANGUAGES else "ru"):
        return render_to_string("billing/act_pdf.html", context)


def render_act_pdf(act, *, language: str = "ru") -> bytes:
    from weasyprint import HTML

    if act.number is None:
        raise DomainError(_("Issue the act first: a draft has no PDF."), field="status")
    return HTML(string=render_act_html(act, language=language), base_url=str(FONTS),
                url_fetcher=local_only()).write_pdf()
