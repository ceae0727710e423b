"""Payments from a CSV bank statement: matched by the invoice number in the purpose or by the payer's INN, a
dry run that writes nothing, all or nothing, unmatched rows reported, a second import records nothing new."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests.factories import make_client, make_deal
from voronka.billing.models import InvoiceStatus, Payment
from voronka.billing.services import create_invoice
from voronka.billing.statements import StatementError, import_statement, read_statement
from voronka.imports.readers import open_table

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def two_invoices(world, deal):
    first = create_invoice(actor=world.owner, deal=deal)  # 180 000, client INN 7702345678
    other = make_client(world.owner, name="ООО Лютик", inn="7703456789")
    second = create_invoice(actor=world.owner, deal=make_deal(world.owner, world.pipeline, client=other,
                                                              values={"amount": "50000"}))
    return first, second


def _csv(tmp_path, text: str, encoding: str = "cp1251"):
    path = tmp_path / "statement.csv"
    path.write_bytes(text.encode(encoding))
    table = open_table(path)
    return table.header, list(table.rows)


def _statement(first, second) -> str:
    return ("Дата;Сумма;ИНН плательщика;Назначение платежа;Номер документа\n"
            f"30.11.2026;100 000,00;;Оплата по счёту № {first.display_number} за услуги;101\n"
            f"30.11.2026;25000;7703456789;Оплата по договору;102\n"
            "30.11.2026;999,00;7709999999;Возврат займа;103\n")


def test_the_dry_run_matches_by_number_and_by_inn_reports_the_unmatched_and_writes_nothing(world, two_invoices,
                                                                                            tmp_path):
    first, second = two_invoices
    header, rows = _csv(tmp_path, _statement(first, second))
    statement = read_statement(actor=world.owner, header=header, rows=rows)
    assert [(r.row, r.invoice.pk, r.matched_by, r.amount) for r in statement.matched] == [
        (2, first.pk, "number", D("100000.00")), (3, second.pk, "inn", D("25000.00"))]
    assert [r.row for r in statement.unmatched] == [4]
    assert not Payment.objects.exists()


def test_the_import_records_the_matched_rows_once(world, two_invoices, tmp_path):
    first, second = two_invoices
    header, rows = _csv(tmp_path, _statement(first, second))
    import_statement(actor=world.owner, header=header, rows=rows)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.paid_amount, first.status) == (D("100000.00"), InvoiceStatus.PARTLY_PAID)
    assert second.paid_amount == D("25000.00")
    assert sorted(Payment.objects.values_list("reference", flat=True)) == ["101", "102"]
    header, rows = _csv(tmp_path, _statement(first, second))
    again = import_statement(actor=world.owner, header=header, rows=rows)
    assert len(again.duplicates) == 2 and again.matched == []
    assert Payment.objects.count() == 2


def test_a_bad_row_imports_nothing(world, two_invoices, tmp_path):
    first, second = two_invoices
    header, rows = _csv(tmp_path, _statement(first, second) + "31.13.2026;10;7703456789;x;104\n")
    with pytest.raises(StatementError) as err:
        import_statement(actor=world.owner, header=header, rows=rows)
    assert err.value.field == "file" and "5" in err.value.message
    assert not Payment.objects.exists()


def test_invoices_out_of_scope_are_not_matched_and_a_missing_column_is_a_file_error(world, two_invoices, tmp_path):
    first, second = two_invoices
    header, rows = _csv(tmp_path, _statement(first, second))
    statement = read_statement(actor=world.outsider, header=header, rows=rows)
    assert statement.matched == [] and len(statement.unmatched) == 3
    with pytest.raises(StatementError) as err:
        read_statement(actor=world.owner, header=["Дата", "ИНН"], rows=[])
    assert err.value.field == "file"


def test_the_statement_page_previews_then_imports(world, two_invoices):
    first, second = two_invoices
    http = HttpClient()
    http.force_login(world.owner)
    url = reverse("billing:statement_import")
    assert http.get(url).status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("s.csv", _statement(first, second).encode("cp1251"), content_type="text/csv")
    preview = http.post(url, {"file": upload})
    page = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="statement-unmatched"' in page
    assert not Payment.objects.exists()
    token = page.split('name="content" value="')[1].split('"')[0]
    done = http.post(url, {"content": token, "apply": "1"})
    assert done.status_code == 302 and Payment.objects.count() == 2
    bad = http.post(url, {"file": SimpleUploadedFile("s.csv", b"a;b\n1;2\n", content_type="text/csv")})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
