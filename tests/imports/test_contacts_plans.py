"""Import kinds contacts (of existing clients) and plans (sales plans through plans.services)."""

from decimal import Decimal

import pytest
from django.utils import translation

from tests.factories import make_client, make_user
from voronka.accounts.models import Role, Team
from voronka.clients.models import Contact
from voronka.imports.models import BatchStatus
from voronka.imports.services import run_import, undo_import
from voronka.plans.models import SalesPlan
from voronka.plans.services import set_plan

pytestmark = pytest.mark.django_db

CONTACTS = {"kind": "contacts", "fields": {"client": "Компания", "client_inn": "ИНН", "name": "ФИО",
                                           "position": "Должность", "phone": "Телефон", "email": "Почта"}}
PLANS = {"kind": "plans", "fields": {"month": "Месяц", "manager": "Менеджер", "team": "Отдел",
                                     "target_amount": "Сумма", "target_count": "Сделок"}}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def admin():
    return make_user("admin", role=Role.ADMIN)


def write(tmp_path, text, name="f.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_contacts_attach_to_clients_by_inn_name_email_phone(tmp_path, admin):
    alpha = make_client(admin, name="ООО Альфа", inn="7707083893")
    beta = make_client(admin, name="ООО Бета", email="info@beta.ru")
    gamma = make_client(admin, name="ИП Гамма", phone="+7 495 123-45-67")
    path = write(tmp_path, "Компания;ИНН;ФИО;Должность;Телефон;Почта\n"
                           ";7707083893;Иван Иванов;Директор;;ivan@alpha.ru\n"
                           "ооо  альфа;;Пётр Петров;;8 (916) 000-00-01;\n"
                           "info@beta.ru;;Анна;;;anna@beta.ru\n"
                           "+74951234567;;Олег;;;\n")
    batch = run_import(actor=admin, kind="contacts", path=path, mapping=CONTACTS)
    assert batch.status == BatchStatus.APPLIED, batch.errors
    assert batch.counts["created"] == {"contacts": 4}
    assert sorted(alpha.contacts.values_list("name", flat=True)) == ["Иван Иванов", "Пётр Петров"]
    assert list(beta.contacts.values_list("name", "email")) == [("Анна", "anna@beta.ru")]
    assert list(gamma.contacts.values_list("name", flat=True)) == ["Олег"]
    assert alpha.contacts.get(name="Пётр Петров").phone == "+79160000001"


def test_contact_duplicates_by_email_or_phone_within_the_client_are_skipped(tmp_path, admin):
    alpha = make_client(admin, name="Альфа")
    beta = make_client(admin, name="Бета")
    Contact.objects.create(client=alpha, name="Old", email="ivan@x.ru")
    path = write(tmp_path, "Компания,ИНН,ФИО,Должность,Телефон,Почта\n"
                           "Альфа,,Иван,,,IVAN@x.ru\n"          # the client has this email: skipped
                           "Альфа,,Пётр,,+79160000001,\n"
                           "Альфа,,Пётр again,,8 916 000 00 01,\n"  # same phone as the row above: skipped
                           "Бета,,Иван,,,ivan@x.ru\n")          # another client: created
    batch = run_import(actor=admin, kind="contacts", path=path, mapping=CONTACTS)
    assert batch.status == BatchStatus.APPLIED, batch.errors
    assert batch.counts["created"] == {"contacts": 2} and batch.counts["skipped"] == {"contacts": 2}
    assert [w["code"] for w in batch.report["warnings"]] == ["contact_duplicate"]
    assert batch.report["warnings"][0]["rows"] == [2, 4]
    assert alpha.contacts.count() == 2 and beta.contacts.count() == 1


def test_contact_rows_without_a_client_are_errors_and_nothing_is_written(tmp_path, admin):
    make_client(admin, name="Альфа")
    make_client(admin, name="Двойник")
    make_client(admin, name="Двойник")
    path = write(tmp_path, "Компания,ИНН,ФИО,Должность,Телефон,Почта\n"
                           "Альфа,,Иван,,,\n"
                           "Нет такой,,Пётр,,,\n"
                           "Двойник,,Анна,,,\n"
                           "Альфа,,,,,\n"
                           "Альфа,,Олег,,,not-an-email\n"
                           ",,Без клиента,,,\n")
    batch = run_import(actor=admin, kind="contacts", path=path, mapping=CONTACTS)
    assert batch.status == BatchStatus.FAILED
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (3, "Компания"), (4, "Компания"), (5, "ФИО"), (6, "Почта"), (7, "Компания")]
    assert "No client matches" in batch.errors[0]["message"] and "Several clients" in batch.errors[1]["message"]
    assert Contact.objects.count() == 0


def test_contacts_undo_deletes_them_and_the_dry_run_writes_nothing(tmp_path, admin):
    alpha = make_client(admin, name="Альфа")
    path = write(tmp_path, "Компания,ИНН,ФИО,Должность,Телефон,Почта\nАльфа,,Иван,,,\nАльфа,,Пётр,,,\n")
    dry = run_import(actor=admin, kind="contacts", path=path, mapping=CONTACTS, dry_run=True)
    assert dry.status == BatchStatus.DRY_RUN and dry.counts["created"] == {"contacts": 2}
    assert Contact.objects.count() == 0
    batch = run_import(actor=admin, kind="contacts", path=path, mapping=CONTACTS)
    assert alpha.contacts.count() == 2
    assert undo_import(actor=admin, batch=batch) == {"clients.Contact": 2}
    assert Contact.objects.count() == 0 and alpha.contacts.model.objects.count() == 0


def test_contacts_respect_the_actor_scope(tmp_path):
    team = Team.objects.create(name="A")
    head = make_user("head", role=Role.HEAD)
    manager = make_user("m", team=team)
    client = make_client(head, name="Альфа", responsible=head)
    path = write(tmp_path, "Компания,ИНН,ФИО,Должность,Телефон,Почта\nАльфа,,Иван,,,\n")
    batch = run_import(actor=head, kind="contacts", path=path, mapping=CONTACTS)
    assert batch.status == BatchStatus.APPLIED and client.contacts.count() == 1
    with pytest.raises(Exception):  # noqa: B017 - a manager may not import at all
        run_import(actor=manager, kind="contacts", path=path, mapping=CONTACTS)


def _team_with(name, lead_name, *members):
    team = Team.objects.create(name=name)
    lead = make_user(lead_name, role=Role.LEAD, team=team)
    team.lead = lead
    team.save()
    return team, [make_user(m, team=team, first_name=m.title(), last_name="Иванов") for m in members]


def test_plans_for_managers_and_teams_with_russian_months_and_numbers(tmp_path, admin):
    _team, (ivan, _petr) = _team_with("Отдел продаж", "lead", "ivan", "petr")
    path = write(tmp_path, "Месяц;Менеджер;Отдел;Сумма;Сделок\n"
                           "2025-01;ivan;;1 500 000,50;10\n"
                           "02.2025;Petr Иванов;;;5\n"
                           "01.03.2025;;отдел продаж;3000000;\n")
    batch = run_import(actor=admin, kind="plans", path=path, mapping=PLANS)
    assert batch.status == BatchStatus.APPLIED, batch.errors
    assert batch.counts["created"] == {"sales plans": 3}
    plans = {(p.month.isoformat(), p.user.username if p.user else p.team.name): (p.target_amount, p.target_count)
             for p in SalesPlan.objects.select_related("user", "team")}
    assert plans == {("2025-01-01", "ivan"): (Decimal("1500000.50"), 10), ("2025-02-01", "petr"): (None, 5),
                     ("2025-03-01", "Отдел продаж"): (Decimal("3000000.00"), None)}
    # An existing plan is changed (and reported), not duplicated; undo deletes only the created ones.
    set_plan(actor=admin, month="2025-04", user=ivan, target_count=1)
    again = write(tmp_path, "Месяц;Менеджер;Отдел;Сумма;Сделок\n2025-04;ivan;;;7\n2025-05;ivan;;;8\n", "g.csv")
    second = run_import(actor=admin, kind="plans", path=again, mapping=PLANS)
    assert second.counts["created"] == {"sales plans": 1} and second.counts["updated"] == {"sales plans": 1}
    assert SalesPlan.objects.get(month="2025-04-01").target_count == 7
    assert undo_import(actor=admin, batch=second) == {"plans.SalesPlan": 1}
    assert list(SalesPlan.objects.order_by("month").values_list("target_count", flat=True)) == [10, 5, None, 7]
    assert undo_import(actor=admin, batch=batch) == {"plans.SalesPlan": 3}
    assert SalesPlan.objects.count() == 1


def test_bad_plan_rows_are_errors_and_nothing_is_written(tmp_path, admin):
    _team_with("Отдел", "lead", "ivan")
    path = write(tmp_path, "Месяц,Менеджер,Отдел,Сумма,Сделок\n"
                           "2025-01,ivan,,100,\n"
                           "2025-13,ivan,,100,\n"
                           "2025-02,nobody,,100,\n"
                           "2025-02,,Нет отдела,100,\n"
                           "2025-02,ivan,Отдел,100,\n"
                           "2025-02,ivan,,,\n"
                           "2025-02,ivan,,-5,\n"
                           "2025-02,ivan,,,2.5\n"
                           "2025-01,ivan,,200,\n"
                           ",ivan,,1,\n")
    batch = run_import(actor=admin, kind="plans", path=path, mapping=PLANS)
    assert batch.status == BatchStatus.FAILED
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (3, "Месяц"), (4, "Менеджер"), (5, "Отдел"), (6, "Отдел"), (7, "Сумма"), (8, "Сумма"), (9, "Сделок"),
        (10, "Менеджер"), (11, "Месяц")]
    assert SalesPlan.objects.count() == 0


def test_plans_go_through_the_plan_rules(tmp_path, admin):
    make_user("gone", is_active=False)
    path = write(tmp_path, "Месяц,Менеджер,Отдел,Сумма,Сделок\n2025-01,gone,,100,\n")
    batch = run_import(actor=admin, kind="plans", path=path, mapping=PLANS)
    assert batch.status == BatchStatus.FAILED and batch.errors[0]["row"] == 2
    assert "active users" in batch.errors[0]["message"]
    assert SalesPlan.objects.count() == 0
