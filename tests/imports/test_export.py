"""``voronka export``: deals, clients and tasks within the user's scope, as CSV, XLSX and JSON."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from tests.factories import build_world, make_deal
from voronka.cli import main
from voronka.imports.exports import write_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = build_world()
    make_deal(w.owner, w.pipeline, title="Mine")
    make_deal(w.outsider, w.pipeline, title="Theirs")
    return w


def test_a_manager_exports_only_his_deals(world):
    out = io.StringIO()
    assert write_export(actor=world.owner, kind="deals", fmt="csv", out=out) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["title"] for r in rows] == ["Mine"] and rows[0]["owner"] == "owner"


def test_head_exports_every_deal_as_json_and_tasks(world):
    out = io.StringIO()
    write_export(actor=world.head, kind="deals", fmt="json", out=out)
    assert sorted(d["title"] for d in json.loads(out.getvalue())) == ["Mine", "Theirs"]
    out = io.StringIO()
    assert write_export(actor=world.owner, kind="tasks", fmt="csv", out=out) == 1


def test_cli_xlsx_and_refusals(world, tmp_path, capsys):
    target = tmp_path / "clients.xlsx"
    assert main(["export", "clients", "--format", "xlsx", "--output", str(target), "--as", "lead"]) == 0
    sheet = load_workbook(target, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("id", "name") and len(rows) == 2  # the lead's team: the owner's client only
    assert main(["export", "deals", "--format", "xlsx"]) == 2
    assert main(["export", "deals", "--as", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
