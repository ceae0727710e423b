"""``voronka import`` exit codes, dry run, the error CSV and undo refusals through the CLI."""

import csv

import pytest
from django.utils import translation

from tests.factories import make_user
from voronka.accounts.models import Role, Team, User
from voronka.cli import main
from voronka.imports.models import ImportBatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _files(tmp_path, text):
    data = tmp_path / "users.csv"
    data.write_text(text, encoding="utf-8")
    mapping = tmp_path / "users.yaml"
    mapping.write_text("kind: users\nfields:\n  name: agent\n  team: office\n  lead: manager\n  email: email\n")
    return str(data), str(mapping)


def test_users_with_teams_and_leads_dry_run_then_run(tmp_path, capsys):
    make_user("admin", role=Role.ADMIN)
    data, mapping = _files(tmp_path, "agent,office,manager,email\nAnna Lee,Central,Dan Brink,anna@example.com\n"
                                     "Bob Ray,Central,Mel Marx,\n")
    assert main(["import", "users", data, "--mapping", mapping, "--dry-run", "--as", "admin"]) == 0
    assert '"status": "dry_run"' in capsys.readouterr().out and not Team.objects.exists()
    assert main(["import", "users", data, "--mapping", mapping, "--as", "admin"]) == 0
    team = Team.objects.get(name="Central")
    assert team.lead.get_full_name() == "Dan Brink"
    assert set(User.objects.filter(role=Role.LEAD).values_list("username", flat=True)) == {"dan.brink", "mel.marx"}
    assert User.objects.get(email="anna@example.com").team == team
    report = ImportBatch.objects.get(status="applied").report
    assert any(w["code"].startswith("second_lead") for w in report["warnings"])


def test_row_errors_exit_1_and_write_the_csv(tmp_path, capsys):
    make_user("admin", role=Role.ADMIN)
    data, mapping = _files(tmp_path, "agent,office,manager,email\nAnna,Central,,not-an-email\n")
    errors = tmp_path / "errors.csv"
    code = main(["import", "users", data, "--mapping", mapping, "--as", "admin", "--errors-csv", str(errors)])
    assert code == 1 and not User.objects.filter(username="anna").exists()
    rows = list(csv.DictReader(errors.open(encoding="utf-8")))
    assert rows == [{"row": "2", "column": "email", "value": "not-an-email", "message": "Not an email address."}]


def test_refusals(tmp_path, capsys):
    make_user("m1")
    data, mapping = _files(tmp_path, "agent\nA\n")
    assert main(["import", "users", data, "--mapping", mapping, "--as", "m1"]) == 2
    assert "administrators" in capsys.readouterr().err
    assert main(["import", "--undo", "12345"]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["import", "users", data]) == 2


def test_contacts_and_plans_through_the_cli(tmp_path, capsys):
    from tests.factories import make_client
    from voronka.plans.models import SalesPlan

    admin = make_user("admin", role=Role.ADMIN)
    make_user("ivan")
    client = make_client(admin, name="ООО Альфа", inn="7707083893")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("inn;name;email\n7707083893;Иван;ivan@alpha.ru\n", encoding="utf-8")
    (tmp_path / "contacts.yaml").write_text("kind: contacts\nfields:\n  client_inn: inn\n  name: name\n"
                                            "  email: email\n")
    assert main(["import", "contacts", str(contacts), "--mapping", str(tmp_path / "contacts.yaml"),
                 "--as", "admin"]) == 0
    assert list(client.contacts.values_list("email", flat=True)) == ["ivan@alpha.ru"]
    plans = tmp_path / "plans.csv"
    plans.write_text("month,manager,amount\n2025-01,ivan,100000\n2025-02,nobody,1\n", encoding="utf-8")
    (tmp_path / "plans.yaml").write_text("kind: plans\nfields:\n  month: month\n  manager: manager\n"
                                         "  target_amount: amount\n")
    assert main(["import", "plans", str(plans), "--mapping", str(tmp_path / "plans.yaml"), "--as", "admin"]) == 1
    assert SalesPlan.objects.count() == 0
    capsys.readouterr()
