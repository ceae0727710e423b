"""Invoices from a deal: lines, chosen lines, a share; numbering per year; VAT; words; the issued-invoice lock;
cancel and re-issue; scope; audit and events."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import make_deal
from voronka.activities.models import Activity
from voronka.audit.models import AuditEntry
from voronka.billing.models import Invoice, InvoiceCounter, InvoiceStatus
from voronka.billing.selectors import get_invoice, visible_invoices
from voronka.billing.services import (
    IssuedInvoiceLocked,
    cancel_invoice,
    create_invoice,
    issue_invoice,
    next_number,
    reissue_invoice,
    set_product_vat,
    update_draft,
    vat_of,
)
from voronka.billing.words import amount_in_words, plural_ru
from voronka.core.errors import DomainError, Forbidden, NotFound
from voronka.events.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_invoice_of_all_lines_totals_them_with_vat_included(world, deal):
    invoice = create_invoice(actor=world.owner, deal=deal)
    lines = list(invoice.lines.order_by("position"))
    assert [(line.name, line.amount) for line in lines] == [("Переводчик API", Decimal("120000.00")),
                                                             ("Локализация сайта", Decimal("60000.00"))]
    assert invoice.total == Decimal("180000.00")
    # VAT 22% included: 180000 × 22 / 122, per line rounded to kopecks
    expected_vat = sum((a * 22 / 122).quantize(Decimal("0.01")) for a in (Decimal(120000), Decimal(60000)))
    assert invoice.vat_amount == expected_vat == Decimal("32459.01")
    assert invoice.subtotal == invoice.total - invoice.vat_amount
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number == 1
    assert invoice.year == timezone.localdate().year
    assert invoice.buyer["inn"] == "7702345678" and invoice.seller["bik"] == "044525225"


def test_chosen_lines_and_a_share_make_partial_invoices(world, deal):
    second = deal.lines.order_by("id")[1]
    chosen = create_invoice(actor=world.owner, deal=deal, line_ids=[second.pk])
    assert chosen.total == Decimal("60000.00") and chosen.lines.count() == 1
    half = create_invoice(actor=world.owner, deal=deal, share_pct="50")
    assert half.total == Decimal("90000.00")
    assert half.share_pct == Decimal("50")
    assert all(line.name.startswith("Аванс 50%") or line.name.startswith("Advance payment 50%")
               for line in half.lines.all())
    assert [half.number, chosen.number] == [2, 1]


@pytest.mark.parametrize("share", ["0", "-5", "101", "abc", "1e3"])
def test_a_bad_share_is_a_field_error(world, deal, share):
    with pytest.raises(DomainError) as err:
        create_invoice(actor=world.owner, deal=deal, share_pct=share)
    assert err.value.field == "share_pct"
    assert not Invoice.objects.exists()


def test_lines_of_another_deal_are_refused(world, deal):
    other = make_deal(world.owner, world.pipeline, lines=[{"product": world.product.pk, "quantity": 1}])
    with pytest.raises(DomainError) as err:
        create_invoice(actor=world.owner, deal=deal, line_ids=[other.lines.get().pk])
    assert err.value.field == "lines"


def test_a_deal_without_lines_is_invoiced_for_its_amount(world, requisites):
    deal = make_deal(world.owner, world.pipeline, values={"amount": "15000"})
    invoice = create_invoice(actor=world.owner, deal=deal)
    assert invoice.total == Decimal("15000.00")
    assert invoice.lines.get().name == deal.title


def test_a_deal_with_nothing_to_invoice_is_refused(world, requisites):
    deal = make_deal(world.owner, world.pipeline)
    with pytest.raises(DomainError) as err:
        create_invoice(actor=world.owner, deal=deal)
    assert err.value.field == "lines"


def test_product_vat_overrides_the_installation_rate_and_without_vat_has_none(world, deal, second_product):
    set_product_vat(actor=world.admin, product=second_product, vat_rate="none")
    invoice = create_invoice(actor=world.owner, deal=deal)
    by_name = {line.name: line for line in invoice.lines.all()}
    assert by_name["Локализация сайта"].vat_rate == "none" and by_name["Локализация сайта"].vat_amount == 0
    assert by_name["Переводчик API"].vat_amount == Decimal("21639.34")  # 120000 × 22 / 122
    assert invoice.vat_amount == Decimal("21639.34")
    with pytest.raises(Forbidden):
        set_product_vat(actor=world.owner, product=second_product, vat_rate="20")


def test_vat_on_top_of_prices():
    assert vat_of(Decimal("100.00"), "20", included=False) == Decimal("20.00")
    assert vat_of(Decimal("120.00"), "20", included=True) == Decimal("20.00")
    assert vat_of(Decimal("120.00"), "none", included=True) == Decimal("0.00")


def test_total_in_russian_words():
    assert amount_in_words(Decimal("180000")) == "Сто восемьдесят тысяч рублей 00 копеек"
    assert amount_in_words(Decimal("21.01")) == "Двадцать один рубль 01 копейка"
    assert amount_in_words(Decimal("1234.52")) == "Одна тысяча двести тридцать четыре рубля 52 копейки"
    assert [plural_ru(n, ("a", "b", "c")) for n in (1, 2, 5, 11, 12, 21, 22, 25, 111, 101)] == \
        ["a", "b", "c", "c", "c", "a", "b", "c", "c", "a"]


def test_numbers_run_per_year_without_gaps_and_drafts_have_none(world, deal):
    draft = create_invoice(actor=world.owner, deal=deal, issue=False)
    assert draft.number is None and draft.status == InvoiceStatus.DRAFT
    first = create_invoice(actor=world.owner, deal=deal)
    cancelled = cancel_invoice(actor=world.owner, invoice=create_invoice(actor=world.owner, deal=deal))
    issued = issue_invoice(actor=world.owner, invoice=draft)
    assert [first.number, cancelled.number, issued.number] == [1, 2, 3]
    assert [next_number(2099), next_number(2099)] == [1, 2]  # another year counts on its own
    assert InvoiceCounter.objects.get(year=first.year).last_number == 3
    numbers = sorted(Invoice.objects.filter(year=first.year).values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))


def test_an_issued_invoice_is_never_edited_but_cancelled_and_reissued(world, deal):
    invoice = create_invoice(actor=world.owner, deal=deal)
    with pytest.raises(IssuedInvoiceLocked) as err:
        update_draft(actor=world.owner, invoice=invoice, due_date="2030-01-01")
    assert err.value.status == 409
    with pytest.raises(IssuedInvoiceLocked):
        issue_invoice(actor=world.owner, invoice=invoice)
    new = reissue_invoice(actor=world.owner, invoice=invoice, due_date="2030-01-01")
    old = Invoice.objects.get(pk=invoice.pk)
    assert old.status == InvoiceStatus.CANCELLED and old.number == 1
    assert new.replaces_id == old.pk and new.number == 2 and new.status == InvoiceStatus.ISSUED
    assert new.total == old.total and new.lines.count() == old.lines.count()
    assert str(new.due_date) == "2030-01-01"
    assert Invoice.objects.count() == 2


def test_a_draft_is_edited(world, deal):
    draft = create_invoice(actor=world.owner, deal=deal, issue=False)
    update_draft(actor=world.owner, invoice=draft, due_date="2031-02-03", comment="По договору № 7")
    draft.refresh_from_db()
    assert str(draft.due_date) == "2031-02-03" and draft.comment == "По договору № 7"


def test_scope_invoices_of_hidden_deals_are_not_found(world, deal):
    invoice = create_invoice(actor=world.owner, deal=deal)
    assert list(visible_invoices(actor=world.lead)) == [invoice]  # team scope: the owner's team
    assert list(visible_invoices(actor=world.teammate)) == []  # own scope
    assert list(visible_invoices(actor=world.outsider)) == []
    with pytest.raises(NotFound):
        get_invoice(actor=world.outsider, invoice_id=invoice.pk)
    with pytest.raises(NotFound):
        create_invoice(actor=world.outsider, deal=deal)
    with pytest.raises(NotFound):
        cancel_invoice(actor=world.outsider, invoice=invoice)
    with pytest.raises(Forbidden):
        create_invoice(actor=world.analyst, deal=deal)


def test_issue_is_audited_with_an_event_and_a_timeline_entry(world, deal):
    invoice = create_invoice(actor=world.owner, deal=deal)
    verbs = list(OutboxEvent.objects.filter(target_id=str(invoice.pk)).values_list("verb", flat=True))
    assert "invoice.created" in verbs and "invoice.issued" in verbs
    assert AuditEntry.objects.filter(object_id=str(invoice.pk), field="number").exists()
    assert Activity.objects.filter(deal=deal, data__invoice=invoice.pk).exists()
