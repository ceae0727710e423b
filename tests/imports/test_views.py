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


def test_upload_preview_dry_run_run_and_undo(admin_client, django_assert_max_num_queries):
    token, response = _upload(admin_client, "Название;ИНН\nООО Ромашка;7707083893\nИП Петров;\n")
    assert response.context["sample"]["header"] == ["Название", "ИНН"]
    assert response.context["sample"]["encoding"] == "cp1251"
    assert "ООО Ромашка" in response.content.decode()
    dry = admin_client.post("/settings/import/", {"kind": "clients", "token": token, "mapping": MAPPING,
                                                  "action": "dry_run"})
    assert dry.status_code == 200 and dry.context["batch"].status == "dry_run"
    assert Client.objects.count() == 0
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
                                                         "action": "run"})
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
