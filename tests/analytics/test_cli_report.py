"""``voronka report``: the JSON contract, CSV/XLSX with their parameters, and exit 2 on bad input."""

from __future__ import annotations

import json

import pytest
from django.utils import translation
from openpyxl import load_workbook

from tests.factories import make_deal
from voronka.cli import main
from voronka.deals.services import lose_deal, win_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English messages: pages, the CLI and services speak the installation's language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def closed(world):
    won = make_deal(world.owner, world.pipeline, values={"amount": 1000, "expected_close_date": "2099-12-31"})
    win_deal(actor=world.owner, deal=won)
    lost = make_deal(world.outsider, world.pipeline)
    lose_deal(actor=world.outsider, deal=lost, reason=world.reason)
    return world


def run(capsys, *argv):
    code = main(["report", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_has_report_params_and_rows_with_plain_keys(closed, capsys):
    code, out, _err = run(capsys, "win-rate", "--pipeline", "inbound", "--from", "2000-01-01", "--to", "2100-12-31")
    assert code == 0
    data = json.loads(out)
    assert data["report"] == "win-rate"
    assert data["params"]["pipeline"] == "inbound" and data["params"]["from"] == "2000-01-01"
    assert data["params"]["by"] == ["manager"] and data["params"]["as"] is None
    rows = {r["manager"]: r for r in data["rows"]}
    assert rows["owner"] == {"manager_id": closed.owner.pk, "manager": "owner", "won": 1, "lost": 0, "closed": 1,
                             "win_rate": 1.0}
    assert rows["outsider"]["win_rate"] == 0.0


def test_as_runs_within_the_users_scope(closed, capsys):
    code, out, _err = run(capsys, "win-rate", "--as", "owner")
    assert code == 0
    data = json.loads(out)
    assert data["params"]["as"] == "owner"
    assert [r["manager"] for r in data["rows"]] == ["owner"]


def test_cycle_rows_have_mean_and_median_days(closed, capsys):
    code, out, _err = run(capsys, "cycle")
    assert code == 0
    (row,) = json.loads(out)["rows"]
    assert set(row) == {"deals", "mean_days", "median_days"} and row["deals"] == 1


@pytest.mark.parametrize("argv, message", [
    (["nope"], "Unknown report"),
    ([], "name a report"),
    (["win-rate", "--from", "2026-02-30"], "is not a date"),
    (["win-rate", "--from", "2026-05-01", "--to", "2026-04-01"], "starts after it ends"),
    (["win-rate", "--by", "manager,product,region"], "at most two"),
    (["win-rate", "--by", "colour"], "cannot be grouped by"),
    (["win-rate", "--by", "month,week"], "at most one period"),
    (["win-rate", "--mode", "flow"], "has no modes"),
    (["win-rate", "--pipeline", "nowhere"], "Unknown pipeline"),
    (["win-rate", "--as", "ghost"], "no active user"),
    (["win-rate", "--filter", "product=abc"], "is not an id"),
    (["win-rate", "--filter", "product"], "SLICE=ID"),
    (["stuck", "--from", "2026-01-01"], "has no period"),
    (["win-rate", "--format", "xlsx"], "needs --output"),
])
def test_bad_parameters_exit_2_with_a_message_and_no_traceback(closed, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err and out == ""


def test_unknown_format_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["report", "win-rate", "--format", "pdf"])
    assert exc.value.code == 2


def test_list_names_every_report_and_its_parameters(capsys, db):
    code, out, _err = run(capsys, "--list")
    assert code == 0
    for name in ("win-rate", "cycle", "avg-check", "revenue", "lost-reasons", "stuck"):
        assert f"{name}:" in out
    assert "--by" in out and "--from DATE" in out


def test_csv_carries_the_parameters_then_the_header_and_rows(closed, capsys, tmp_path):
    target = tmp_path / "r.csv"
    code, _out, _err = run(capsys, "win-rate", "--by", "team", "--format", "csv", "--output", str(target))
    assert code == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# report: win-rate" and "# by: team" in lines
    header = next(line for line in lines if not line.startswith("#"))
    assert header == "team_id,team,won,lost,closed,win_rate"


def test_xlsx_has_the_rows_and_a_parameters_sheet(closed, capsys, tmp_path):
    target = tmp_path / "r.xlsx"
    code, _out, _err = run(capsys, "revenue", "--by", "manager", "--format", "xlsx", "--output", str(target))
    assert code == 0
    book = load_workbook(target, read_only=True)
    report, params = (list(ws.iter_rows(values_only=True)) for ws in book.worksheets)
    assert len(report) == 2
    assert report[1][1] == "owner" and report[1][-1] == 1000
    assert ("report", "revenue") in params and ("by", "manager") in params
