"""Settings › Import through real HTTP requests: upload, preview, dry run, run, errors CSV, undo."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests.factories import make_user, sign_in
from voronka.accounts.models import Role
from voronka.clients.models import Client
from voronka.imports.models import ImportBatch

pytestmark = pytest.mark.django_db
MAPPING = "kind: clients\nfields:\n  name: Название\n  inn: ИНН\n"


@pytest.fixture
def admin_client(client):
    make_user("boss", role=Role.ADMIN)
    assert sign_in(client, "boss", "demo")
    return client


def _upload(http, text: str, encoding="cp1251"):
    file = SimpleUploadedFile("clients.csv", text.encode(encoding), content_type="text/csv")
    response = http.post("/settings/import/", {"kind": "clients", "file": file})
    assert response.status_code == 200
    return response.context["token"], response


def test_upload_preview_dry_run_run_and_undo(admin_client, django_assert_max_num_queries,
                                             django_capture_on_commit_callbacks):
    token, response = _upload(admin_client, "Название;ИНН\nООО Ромашка;7707083893\nИП Петров;\n")
    assert response.context["sample"]["header"] == ["Название", "ИНН"]
    assert response.context["sample"]["encoding"] == "cp1251"
    assert "ООО Ромашка" in response.content.decode()
    dry = admin_client.post("/settings/import/", {"kind": "clients", "token": token, "mapping": MAPPING,
                                                  "action": "dry_run"})
    assert dry.status_code == 200 and dry.context["batch"].status == "dry_run"
    assert Client.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):  # queued, then run by the (immediate) worker
        run = admin_client.post("/settings/import/", {"kind": "clients", "token": token, "mapping": MAPPING,
                                                      "action": "run"})
    batch = ImportBatch.objects.get(status="applied")
    assert run.status_code == 302 and run["Location"] == f"/settings/import/{batch.pk}/"
    assert Client.objects.count() == 2
    page = admin_client.get(run["Location"])
    assert page.status_code == 200 and "clients 2" in page.content.decode()
    undo = admin_client.post(f"/settings/import/{batch.pk}/undo/")
    assert undo.status_code == 302 and Client.objects.count() == 0
    with django_assert_max_num_queries(12):
        assert admin_client.get("/settings/import/").status_code == 200


def test_row_errors_download_as_csv(admin_client):
    token, _response = _upload(admin_client, "Название;ИНН\n;123\n", "utf-8")
    with translation.override("en"):
        failed = admin_client.post("/settings/import/", {"kind": "clients", "token": token, "mapping": MAPPING,
                                                         "action": "dry_run"})
    batch = failed.context["batch"]
    assert batch.status == "failed" and Client.objects.count() == 0
    errors = admin_client.get(f"/settings/import/{batch.pk}/errors.csv")
    assert errors.status_code == 200 and errors["Content-Type"].startswith("text/csv")
    lines = errors.content.decode().splitlines()
    assert lines[0] == "row,column,value,message" and len(lines) == 2 and lines[1].startswith("2,Название")


def test_bad_input_is_a_message_not_a_500(admin_client):
    bad = admin_client.post("/settings/import/", {"kind": "clients", "file": SimpleUploadedFile("x.exe", b"MZ")})
    assert bad.status_code == 400
    token, _response = _upload(admin_client, "Название\nАльфа\n", "utf-8")
    yaml = admin_client.post("/settings/import/", {"kind": "clients", "token": token, "mapping": "fields: [",
                                                   "action": "run"})
    assert yaml.status_code == 400 and yaml.context["error"]
    gone = admin_client.post("/settings/import/", {"kind": "clients", "token": "../../etc/passwd",
                                                   "mapping": MAPPING, "action": "run"})
    assert gone.status_code == 400
    assert admin_client.get("/settings/import/999/").status_code == 404


def test_managers_get_403(client):
    make_user("m1")
    assert sign_in(client, "m1", "demo")
    assert client.get("/settings/import/").status_code == 403


def _queue(http, captured):
    token, _response = _upload(http, "Название;ИНН\nООО Ромашка;7707083893\nИП Петров;\n")
    with captured(execute=True) as callbacks:
        run = http.post("/settings/import/", {"kind": "clients", "token": token, "mapping": MAPPING,
                                              "action": "run", "file_name": "clients.csv"})
    return run, callbacks


def test_import_runs_in_the_worker_and_the_page_polls_the_progress(admin_client, django_capture_on_commit_callbacks,
                                                                   django_assert_max_num_queries, monkeypatch):
    from voronka.imports import services

    seen = []
    real = services.write_progress
    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(services, "write_progress", lambda b, d, t: (seen.append((d, t)), real(b, d, t)))
    run, callbacks = _queue(admin_client, django_capture_on_commit_callbacks)
    batch = ImportBatch.objects.get()
    assert run.status_code == 302 and run["Location"] == f"/settings/import/{batch.pk}/"
    # The task was enqueued on commit (the immediate backend of the tests ran it there).
    assert [c.func.__module__ for c in callbacks].count("voronka.imports.services") == 1
    assert (batch.status, batch.queued, batch.rows_total) == ("applied", True, 2)
    assert Client.objects.count() == 2
    assert seen == [(0, None), (0, 2), (1, 2), (2, 2), (2, 2)]  # counted first, then every row (here)
    with django_assert_max_num_queries(4):
        fragment = admin_client.get(f"/settings/import/{batch.pk}/progress/")
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "hx-trigger" not in body and "clients 2" in body
    assert f"/settings/import/{batch.pk}/undo/" in body and "<html" not in body


def test_a_running_batch_shows_a_polling_progress_bar(admin_client, django_capture_on_commit_callbacks,
                                                      django_assert_max_num_queries):
    from voronka.imports.services import write_progress

    token, _response = _upload(admin_client, "Название;ИНН\nООО Ромашка;7707083893\n")
    run = admin_client.post("/settings/import/", {"kind": "clients", "token": token, "mapping": MAPPING,
                                                  "action": "run"})  # no commit: the worker has not run it
    batch = ImportBatch.objects.get()
    assert run.status_code == 302 and batch.status == "running" and Client.objects.count() == 0
    write_progress(batch.pk, 1500, 6000)
    page = admin_client.get(f"/settings/import/{batch.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and f'hx-get="/settings/import/{batch.pk}/progress/"' in page
    with django_assert_max_num_queries(4):
        fragment = admin_client.get(f"/settings/import/{batch.pk}/progress/").content.decode()
    assert 'value="1500"' in fragment and 'max="6000"' in fragment and "25%" in fragment
    assert 'hx-trigger="every 1s"' in fragment and "<script" not in fragment


def test_a_batch_left_running_by_a_dead_worker_is_shown_and_run_again(admin_client, settings,
                                                                     django_capture_on_commit_callbacks):
    from voronka.imports.services import write_progress

    token, _response = _upload(admin_client, "Название;ИНН\nООО Ромашка;7707083893\n")
    admin_client.post("/settings/import/", {"kind": "clients", "token": token, "mapping": MAPPING, "action": "run"})
    dead = ImportBatch.objects.get()
    write_progress(dead.pk, 1, 1)
    refused = admin_client.post(f"/settings/import/{dead.pk}/rerun/")  # not stale yet: refused
    assert refused.status_code == 302 and ImportBatch.objects.count() == 1
    settings.VORONKA_IMPORT_STALE_SECONDS = -1
    page = admin_client.get(f"/settings/import/{dead.pk}/progress/").content.decode()
    assert f'action="/settings/import/{dead.pk}/rerun/"' in page and 'role="alert"' in page
    assert "hx-trigger" not in page and "<progress" not in page
    with django_capture_on_commit_callbacks(execute=True):
        rerun = admin_client.post(f"/settings/import/{dead.pk}/rerun/")
    dead.refresh_from_db()
    new = ImportBatch.objects.exclude(pk=dead.pk).get()
    assert rerun["Location"] == f"/settings/import/{new.pk}/"
    assert dead.status == "failed" and str(new.pk) in dead.errors[0]["message"]
    assert new.status == "applied" and Client.objects.count() == 1
    # The dead batch's task, if it ever ran late, does nothing.
    from voronka.imports.tasks import run_import_batch

    assert run_import_batch.call(dead.pk) == "skipped"
    assert Client.objects.count() == 1


def test_a_failed_queued_batch_keeps_its_row_errors(admin_client, django_capture_on_commit_callbacks):
    token, _response = _upload(admin_client, "Название;ИНН\n;123\nАльфа;\n", "utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/settings/import/", {"kind": "clients", "token": token, "mapping": MAPPING,
                                                "action": "run"})
    batch = ImportBatch.objects.get()
    assert batch.status == "failed" and batch.errors[0]["row"] == 2 and Client.objects.count() == 0
