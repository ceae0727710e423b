"""Exports through their real addresses and the CLI: the list's filters and the user's scope, CSV (streamed,
safe against formula injection) and XLSX (parsed back with openpyxl), an audit entry per export, flat query
counts."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from django.test import Client as HttpClient

from tests.factories import make_client, make_deal, sign_in, task_spec
from voronka.activities.services import add_timeline_entry
from voronka.audit.models import AuditEntry
from voronka.cli import main

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    mine = make_deal(world.owner, world.pipeline, client=make_client(world.owner, name="=HYPERLINK(\"x\")"),
                     title="@SUM(A1:A9)", values={"amount": 1500})
    other_mine = make_deal(world.owner, world.other_pipeline, title="Outreach deal")
    theirs = make_deal(world.outsider, world.pipeline, title="Чужая сделка")
    add_timeline_entry(actor=world.owner, kind="note", body="+1 позвонить в понедельник", deal=mine)
    return {"mine": mine, "other": other_mine, "theirs": theirs}


def _http(username: str) -> HttpClient:
    http = HttpClient()
    assert sign_in(http, username, "demo")
    return http


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Cyrillic right
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_deal_export_keeps_the_filters_and_the_scope_and_is_audited(world, data):
    rows = _csv(_http("owner").get("/export/deals.csv", {"pipeline": world.pipeline.pk}))
    titles = [r[1] for r in rows[1:]]
    assert titles == ["'@SUM(A1:A9)"]  # the other pipeline filtered out, the outsider's deal out of scope
    assert rows[1][2] == "'=HYPERLINK(\"x\")" and rows[1][6] == "1500.00"
    entry = AuditEntry.objects.get(action="export", object_type="deals")
    assert entry.actor == world.owner and entry.object_id == "1" and f"pipeline={world.pipeline.pk}" in entry.new

    everything = _csv(_http("head").get("/export/deals.csv", {"o": "title"}))
    assert [r[1] for r in everything[1:]] == ["'@SUM(A1:A9)", "Outreach deal", "Чужая сделка"]


def test_xlsx_exports_parse_back_with_text_never_a_formula(world, data):
    response = _http("owner").get("/export/deals.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "id" and len(rows) == 3
    by_title = {r[1]: r for r in rows[1:]}
    assert "'@SUM(A1:A9)" in by_title and by_title["'@SUM(A1:A9)"][6] == 1500
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_client_and_task_exports_follow_their_lists(world, data):
    make_client(world.owner, name="ООО Поиск", phone="+79160000001")
    rows = _csv(_http("owner").get("/export/clients.csv", {"q": "Поиск"}))
    assert [r[1] for r in rows[1:]] == ["ООО Поиск"]
    assert rows[1][6] == "'+79160000001"  # a leading + is quoted too
    tasks = _csv(_http("owner").get("/export/tasks.csv"))
    assert len(tasks) == 3 and all(r[6] for r in tasks[1:])  # the owner's two first tasks, not the outsider's
    assert _http("owner").get("/export/tasks.csv", {"status": "bogus"}).status_code == 400
    make_deal(world.teammate, world.pipeline, first_task=task_spec(title="Задача коллеги"))
    lead_tasks = _csv(_http("lead").get("/export/tasks.csv", {"assignee": world.teammate.pk}))
    assert [r[1] for r in lead_tasks[1:]] == ["Задача коллеги"]


def test_timeline_exports_are_for_the_deals_and_clients_in_scope(world, data):
    http = _http("owner")
    rows = _csv(http.get(f"/export/deals/{data['mine'].pk}/timeline.csv"))
    assert [r[4] for r in rows[1:] if r[1] in ("Note", "Заметка")] == ["'+1 позвонить в понедельник"]
    client_rows = _csv(http.get(f"/export/clients/{data['mine'].client_id}/timeline.csv"))
    assert any("понедельник" in r[4] for r in client_rows[1:])
    assert http.get(f"/export/deals/{data['theirs'].pk}/timeline.csv").status_code == 404
    assert http.get(f"/export/clients/{data['theirs'].client_id}/timeline.xlsx").status_code == 404
    assert http.get("/export/audit.csv").status_code == 404
    assert http.get("/export/deals.pdf").status_code == 404
    assert HttpClient().get("/export/deals.csv").status_code == 302
    assert AuditEntry.objects.filter(action="export").count() == 2


def test_the_export_query_count_is_flat(world, django_assert_max_num_queries):
    for n in range(30):
        make_deal(world.owner, world.pipeline, title=f"Сделка {n}")
    http = _http("owner")
    with django_assert_max_num_queries(12):
        rows = _csv(http.get("/export/deals.csv"))
    assert len(rows) == 31
    with django_assert_max_num_queries(12):
        assert len(_csv(http.get("/export/clients.csv"))) == 31
    with django_assert_max_num_queries(12):
        assert len(_csv(http.get("/export/tasks.csv"))) == 31


def test_the_cli_exports_in_every_format_within_a_users_scope(world, data, capsys, tmp_path):
    assert main(["export", "deals", "--format", "json", "--as", "owner"]) == 0
    deals = json.loads(capsys.readouterr().out)
    assert sorted(d["id"] for d in deals) == sorted([data["mine"].pk, data["other"].pk])
    assert main(["export", "deals", "--filter", f"owner={world.outsider.pk}"]) == 0
    lines = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert [r[1] for r in lines[1:]] == ["Чужая сделка"]  # the system sees everything
    target = tmp_path / "tasks.xlsx"
    assert main(["export", "tasks", "--format", "xlsx", "--output", str(target), "--as", "owner"]) == 0
    assert len(list(openpyxl.load_workbook(target).active.iter_rows())) == 3
    assert main(["export", "deal-timeline", "--id", str(data["mine"].pk), "--format", "json"]) == 0
    assert "понедельник" in capsys.readouterr().out
    assert main(["export", "deal-timeline"]) == 2
    assert main(["export", "deal-timeline", "--id", str(data["theirs"].pk), "--as", "owner"]) == 2
    assert main(["export", "deals", "--as", "nobody"]) == 2
    assert main(["export", "deals", "--format", "xlsx"]) == 2
    assert AuditEntry.objects.filter(action="export").count() == 4
