"""Import engine: readers, mappings, all-or-nothing batches, dry runs, undo, permissions."""

import pytest
from django.utils import translation
from django.utils.timezone import localdate

from tests.factories import make_user
from voronka.accounts.models import Role
from voronka.catalog.models import Product
from voronka.clients.models import Client
from voronka.core.errors import DomainError, Forbidden
from voronka.deals.models import Deal
from voronka.imports.models import BatchStatus
from voronka.imports.services import errors_csv, run_import, undo_import

pytestmark = pytest.mark.django_db

CLIENTS = {"kind": "clients", "fields": {"name": "Название", "inn": "ИНН", "industry": "Отрасль"}}
DEALS = {"kind": "deals", "pipeline": {"name": "Imported", "slug": "imported", "stages": ["New", "Demo"]},
         "fields": {"title": "title", "client": {"column": "client", "create": True}, "owner": "owner",
                    "stage": "stage", "status": {"column": "status", "values": {"Won": "won", "Open": "open"}},
                    "created_at": "created", "closed_at": "closed", "amount": "amount"}}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def admin():
    return make_user("admin", role=Role.ADMIN)


def write(tmp_path, text, encoding="utf-8", name="f.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_cp1251_semicolon_file_with_russian_headers(tmp_path, admin):
    path = write(tmp_path, "Название;ИНН;Отрасль\nООО Ромашка;7707083893;Торговля\nИП Петров;;\n", "cp1251")
    batch = run_import(actor=admin, kind="clients", path=path, mapping=CLIENTS)
    assert batch.status == BatchStatus.APPLIED, batch.errors
    assert set(Client.objects.values_list("name", flat=True)) == {"ООО Ромашка", "ИП Петров"}
    assert batch.report["created_dictionaries"] == {"industry": ["Торговля"]}


def test_tab_separated_utf8_bom(tmp_path, admin):
    path = write(tmp_path, "\ufeffНазвание\tИНН\tОтрасль\nАльфа\t\t\n", "utf-8")
    assert run_import(actor=admin, kind="clients", path=path, mapping=CLIENTS).status == BatchStatus.APPLIED
    assert Client.objects.get().name == "Альфа"


def test_dedupe_skip_reports_the_duplicate(tmp_path, admin):
    path = write(tmp_path, "Название,ИНН,Отрасль\nАльфа,,\nАльфа,,\n")
    batch = run_import(actor=admin, kind="clients", path=path, mapping=CLIENTS)
    assert Client.objects.count() == 1 and batch.counts["skipped"] == {"clients": 1}
    assert [w["code"] for w in batch.report["warnings"]] == ["client_duplicate"]


def _deals_csv(tmp_path, rows):
    return write(tmp_path, "title,client,owner,stage,status,created,closed,amount\n" + "\n".join(rows) + "\n")


def test_deals_with_history_russian_dates_and_numbers(tmp_path, admin):
    make_user("ivan", first_name="Иван", last_name="Петров")
    path = _deals_csv(tmp_path, ['Поставка,Альфа,Иван Петров,Demo,Won,01.02.2024,15.03.2024,"1 234,50"',
                                 "Пилот,Бета,ivan,New,Open,2024-05-01,,"])
    batch = run_import(actor=admin, kind="deals", path=path, mapping=DEALS)
    assert batch.status == BatchStatus.APPLIED, batch.errors
    won = Deal.objects.get(title="Поставка")
    assert (won.status, str(won.amount), localdate(won.created_at).isoformat(), localdate(won.closed_at).isoformat()) == (
        "won", "1234.50", "2024-02-01", "2024-03-15")
    assert list(won.transitions.values_list("kind", flat=True)) == ["created", "won"]
    assert Deal.objects.get(title="Пилот").tasks.filter(status="open").count() == 1
    from tests.deals.test_stage_stays import expected_rows, summary_rows

    assert summary_rows() == expected_rows()  # the per-(deal, stage) summary is written with the log
    undo_import(actor=admin, batch=batch)  # and goes with the deals
    assert not summary_rows()


def test_a_bad_row_writes_nothing_and_reports_every_error(tmp_path, admin):
    make_user("ivan")
    path = _deals_csv(tmp_path, ["Ok,Альфа,ivan,New,Open,2024-05-01,,10",
                                 "Bad date,Альфа,ivan,New,Open,31.31.2024,,10",
                                 "Bad number,Альфа,ivan,New,Open,2024-05-01,,12abc",
                                 "Huge,Альфа,ivan,New,Open,2024-05-01,,1e30",
                                 "Huge2,Альфа,ivan,New,Open,2024-05-01,,99999999999999999999",
                                 "Nobody,Альфа,nobody,New,Open,2024-05-01,,1"])
    batch = run_import(actor=admin, kind="deals", path=path, mapping=DEALS)
    assert batch.status == BatchStatus.FAILED
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (3, "created"), (4, "amount"), (5, "amount"), (6, "amount"), (7, "owner")]
    assert Deal.objects.count() == 0 and Client.objects.count() == 0
    text = errors_csv(batch)
    assert text.splitlines()[0] == "row,column,value,message" and "12abc" in text


def test_dry_run_reports_and_rolls_back(tmp_path, admin):
    make_user("ivan")
    path = _deals_csv(tmp_path, ["A,Альфа,ivan,New,Open,2024-05-01,,10"])
    batch = run_import(actor=admin, kind="deals", path=path, mapping=DEALS, dry_run=True)
    assert batch.status == BatchStatus.DRY_RUN
    assert batch.counts["created"]["deals"] == 1 and batch.counts["created"]["clients"] == 1
    assert Deal.objects.count() == 0 and Client.objects.count() == 0


@pytest.mark.parametrize("content, message", [
    (b"", "empty"), (b"\x00\x01\x02garbage", "NUL"), (b"\xff\xfeN\x00a\x00", "UTF-16")])
def test_bad_files_fail_clearly(tmp_path, admin, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    batch = run_import(actor=admin, kind="clients", path=path, mapping=CLIENTS)
    assert batch.status == BatchStatus.FAILED and message in batch.errors[0]["message"]


def test_missing_columns_are_named(tmp_path, admin):
    path = write(tmp_path, "name\nAlpha\n")
    batch = run_import(actor=admin, kind="clients", path=path, mapping=CLIENTS)
    assert batch.status == BatchStatus.FAILED and "Название" in batch.errors[0]["message"]


def test_xlsx_products(tmp_path, admin):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Товар", "Цена"])
    sheet.append(["Лицензия", 1500.5])
    book.save(tmp_path / "p.xlsx")
    batch = run_import(actor=admin, kind="products", path=tmp_path / "p.xlsx",
                       mapping={"fields": {"name": "Товар", "price": "Цена"}})
    assert batch.status == BatchStatus.APPLIED, batch.errors
    assert str(Product.objects.get(name="Лицензия").price) == "1500.50"


def test_only_admins_and_heads_import(tmp_path):
    manager = make_user("m1")
    with pytest.raises(Forbidden):
        run_import(actor=manager, kind="clients", path=tmp_path / "x.csv", mapping=CLIENTS)
    head = make_user("head", role=Role.HEAD)
    with pytest.raises(Forbidden):
        run_import(actor=head, kind="products", path=tmp_path / "x.csv", mapping={"fields": {"name": "n"}})


def test_undo_refuses_when_later_data_depends(tmp_path, admin):
    from voronka.deals.services import move_deal

    make_user("ivan")
    path = _deals_csv(tmp_path, ["A,Альфа,ivan,New,Open,2024-05-01,,10"])
    batch = run_import(actor=admin, kind="deals", path=path, mapping=DEALS)
    deal = Deal.objects.get()
    move_deal(actor=admin, deal=deal, stage=deal.pipeline.stages.get(name="Demo"))
    with pytest.raises(DomainError, match="changed"):
        undo_import(actor=admin, batch=batch)
    assert Deal.objects.count() == 1


def test_messages_are_in_russian_by_default(tmp_path, admin):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with translation.override("ru"):
        batch = run_import(actor=admin, kind="clients", path=path, mapping=CLIENTS)
    assert batch.errors[0]["message"] == "Файл пустой."


def test_undo_refuses_when_a_task_was_added_to_an_imported_deal(tmp_path, admin):
    from tests.factories import task_spec
    from voronka.activities.services import create_task

    make_user("ivan")
    path = _deals_csv(tmp_path, ["A,Альфа,ivan,New,Open,2024-05-01,,10", "B,Альфа,ivan,New,Won,2024-05-01,"
                                 "2024-06-01,10"])
    batch = run_import(actor=admin, kind="deals", path=path, mapping=DEALS)
    deal = Deal.objects.get(title="A")
    extra = create_task(actor=admin, deal=deal, **task_spec())
    with pytest.raises(DomainError, match="depends"):
        undo_import(actor=admin, batch=batch)
    assert Deal.objects.count() == 2
    extra.delete()
    assert undo_import(actor=admin, batch=batch)["activities.Task"] == 1
    assert Deal.objects.count() == 0 and Client.objects.count() == 0
