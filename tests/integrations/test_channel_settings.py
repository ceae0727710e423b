"""Settings › Mailbox and Settings › Telephony: administrators only; stored values drive ``voronka tick`` and the
telephony webhook (page values over the environment's); the password is never echoed; "Test connection" against a
real dovecot; every change audited."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from email.message import EmailMessage

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation

from tests.support.imap import DOVECOT, PASSWORD, USER, DovecotServer
from voronka.audit.models import AuditEntry
from voronka.cli import main
from voronka.deals.models import Deal
from voronka.integrations.connectors import mailbox_config, save_mailbox_settings
from voronka.integrations.mailbox import poll_mailbox
from voronka.integrations.models import MailboxSettings, TelephonySettings

SECRET = "s3cret-Пароль-42"


def _t(text: str) -> str:
    """The message as the page shows it (the pages speak the default language, Russian)."""
    with translation.override("ru"):
        return translation.gettext(text)


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


@pytest.fixture(autouse=True)
def _no_environment(settings):
    """Nothing from the environment: what these tests see comes from the pages."""
    settings.VORONKA_IMAP_HOST = settings.VORONKA_IMAP_USER = settings.VORONKA_IMAP_PASSWORD = ""
    settings.VORONKA_MAIL_ASSIGNEE = settings.VORONKA_MAIL_PIPELINE = ""
    settings.VORONKA_TELEPHONY_TOKENS = []
    settings.VORONKA_TELEPHONY_ASSIGNEE = settings.VORONKA_TELEPHONY_PIPELINE = ""
    settings.VORONKA_TELEPHONY_EXTENSIONS = ""


@pytest.fixture
def imap(world):
    if DOVECOT is None:
        reason = "dovecot is not installed (apt-get install dovecot-imapd): the mailbox tests need a real IMAP server"
        if os.environ.get("VORONKA_REQUIRE_IMAP") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    folder = tempfile.mkdtemp(prefix="voronka-imap-")
    try:
        with DovecotServer(folder) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _mailbox_data(world, **overrides) -> dict:
    return {"enabled": "on", "host": "imap.example.ru", "port": "", "use_ssl": "on", "username": "sales@example.ru",
            "password": SECRET, "folder": "", "pipeline": world.pipeline.pk, "assign_mode": "fixed",
            "assignee": world.owner.pk, "team": "", **overrides}


def _mail(sender: str, subject: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, USER, subject, message_id
    msg["Date"] = "Tue, 01 Dec 2026 10:00:00 +0300"
    msg.set_content("Здравствуйте!")
    return bytes(msg)


@pytest.mark.parametrize("name", ["settings:mailbox", "settings:telephony"])
def test_the_pages_are_for_administrators_only(world, name):
    manager = HttpClient()
    manager.force_login(world.owner)
    assert manager.get(reverse(name)).status_code == 403
    assert manager.post(reverse("settings:telephony_token")).status_code == 403
    assert manager.post(reverse("settings:mailbox_test"), {"host": "127.0.0.1"}).status_code == 403
    assert not TelephonySettings.objects.exists() and not MailboxSettings.objects.exists()


def test_admin_saves_the_mailbox_and_the_password_is_never_echoed(admin_client, world):
    response = admin_client.post(reverse("settings:mailbox"), _mailbox_data(world))
    assert response.status_code == 302
    row = MailboxSettings.objects.get()
    assert (row.enabled, row.host, row.password, row.pipeline, row.assignee) == (
        True, "imap.example.ru", SECRET, world.pipeline, world.owner)
    config = mailbox_config()
    assert (config.port, config.folder, config.use_ssl) == (993, "INBOX", True)  # the defaults of empty fields
    html = admin_client.get(reverse("settings:mailbox")).content.decode()
    assert SECRET not in html
    assert 'id="password-stored"' in html and 'value="imap.example.ru"' in html
    # An empty password keeps the stored one.
    assert admin_client.post(reverse("settings:mailbox"), _mailbox_data(world, password="", port="1993")
                             ).status_code == 302
    row.refresh_from_db()
    assert (row.password, row.port) == (SECRET, 1993)
    entries = AuditEntry.objects.filter(action="settings.mailbox_saved", object_id=str(row.pk))
    assert entries.filter(field="port", new="1993").exists()
    assert entries.filter(field="password").count() == 1  # the first save only, and without the value
    assert not AuditEntry.objects.filter(new__contains=SECRET).exists()
    assert not AuditEntry.objects.filter(old__contains=SECRET).exists()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"port": "70000"}, "port"),
    ({"host": "bad host name"}, "host"),
    ({"host": ""}, "host"),  # switched on without a server (none in the environment either)
    ({"password": ""}, "password"),  # switched on with no password stored
    ({"assignee": ""}, "assignee"),
    ({"assign_mode": "round_robin", "assignee": ""}, "team"),
    ({"folder": 'IN"BOX'}, "folder"),
    ({"assignee": "analyst"}, "assignee"),
])
def test_bad_mailbox_values_are_field_errors(admin_client, world, overrides, field):
    if overrides.get("assignee") == "analyst":
        overrides = {**overrides, "assignee": world.analyst.pk}
    response = admin_client.post(reverse("settings:mailbox"), _mailbox_data(world, **overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field field-error"' in html and f'id="id_{field}"' in html
    assert not MailboxSettings.objects.exists()


def test_test_connection_signs_in_to_a_real_server_and_saves_nothing(admin_client, world, imap):
    data = _mailbox_data(world, host="127.0.0.1", port=str(imap.port), use_ssl="", username=USER,
                         password=PASSWORD)
    response = admin_client.post(reverse("settings:mailbox_test"), data)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="mailbox-tested"' in html and "INBOX" in html
    assert PASSWORD not in html and not MailboxSettings.objects.exists()
    response = admin_client.post(reverse("settings:mailbox_test"), {**data, "password": "wrong"})
    assert response.status_code == 400 and _t("The server refused the user or the password.") in response.content.decode()
    response = admin_client.post(reverse("settings:mailbox_test"), {**data, "folder": "Nope"})
    assert response.status_code == 400 and "Nope" in response.content.decode()
    assert 'class="field field-error"' in response.content.decode()
    response = admin_client.post(reverse("settings:mailbox_test"), {**data, "port": "1"})
    assert response.status_code == 400 and "127.0.0.1:1 " in response.content.decode()
    # The stored password is used when the field is left empty.
    save_mailbox_settings(actor=world.admin, enabled=False, host="127.0.0.1", port=imap.port, use_ssl=False,
                          username=USER, password=PASSWORD, folder="", pipeline=None, assign_mode="fixed",
                          assignee=None, team=None)
    response = admin_client.post(reverse("settings:mailbox_test"), {**data, "password": ""})
    assert response.status_code == 200 and 'id="mailbox-tested"' in response.content.decode()


def test_the_saved_mailbox_drives_tick_with_a_round_robin_team(admin_client, world, imap, settings):
    settings.VORONKA_IMAP_HOST = "imap.unreachable.invalid"  # the page's values win over the environment's
    response = admin_client.post(reverse("settings:mailbox"), _mailbox_data(
        world, host="127.0.0.1", port=str(imap.port), use_ssl="", username=USER, password=PASSWORD,
        assign_mode="round_robin", assignee="", team=world.team.pk))
    assert response.status_code == 302
    imap.deliver(_mail("first@lead.ru", "Первый", "<r1@x>"))
    imap.deliver(_mail("second@lead.ru", "Второй", "<r2@x>"))
    assert main(["tick"]) == 0
    owners = {d.client.email: d.owner for d in Deal.objects.select_related("client", "owner")}
    assert set(owners) == {"first@lead.ru", "second@lead.ru"}
    assert len(set(owners.values())) == 2 and all(o.team_id == world.team.pk for o in owners.values())
    assert all(d.pipeline_id == world.pipeline.pk for d in Deal.objects.all())
    # Switched off on the page: the mailbox is not read, whatever the environment says.
    row = MailboxSettings.objects.get()
    row.enabled = False
    row.save()
    imap.deliver(_mail("third@lead.ru", "Третий", "<r3@x>"))
    assert poll_mailbox() == 0 and imap.unseen() == 1


def _call(token: str, **extra):
    body = {"id": "evt-9", "direction": "in", "status": "missed", "caller": "+7 916 555-44-33",
            "callee": "+74950000000", "started_at": "2026-12-01T14:05:00+03:00", **extra}
    return HttpClient().post(f"/integrations/telephony/{token}/", json.dumps(body), content_type="application/json")


def test_telephony_token_endpoint_and_lead_targets_come_from_the_page(admin_client, world, settings):
    html = admin_client.get(reverse("settings:telephony")).content.decode()
    assert 'id="telephony-no-token"' in html and '"started_at"' in html  # the documented payload
    assert admin_client.post(reverse("settings:telephony_token")).status_code == 302
    token = TelephonySettings.objects.get().token
    assert len(token) >= 40
    html = admin_client.get(reverse("settings:telephony")).content.decode()
    assert f"/integrations/telephony/{token}/" in html
    # No manager anywhere: refused; then the page chooses the manager and the pipeline.
    assert _call(token).status_code == 422
    response = admin_client.post(reverse("settings:telephony"), {"pipeline": world.other_pipeline.pk,
                                                                 "assignee": world.teammate.pk})
    assert response.status_code == 302
    response = _call(token)
    assert response.status_code == 201 and response.json()["new_lead"] is True
    deal = Deal.objects.get()
    assert (deal.owner, deal.pipeline) == (world.teammate, world.other_pipeline)
    # A new token: the old address is a 404 at once; an environment token still works.
    assert admin_client.post(reverse("settings:telephony_token")).status_code == 302
    assert _call(token, id="evt-10").status_code == 404
    settings.VORONKA_TELEPHONY_TOKENS = ["env_" + "z" * 40]
    assert _call("env_" + "z" * 40, id="evt-11").status_code == 201
    actions = set(AuditEntry.objects.filter(object_type="integrations.TelephonySettings")
                  .values_list("action", flat=True))
    assert actions == {"settings.telephony_saved", "settings.telephony_token_regenerated"}
    assert not AuditEntry.objects.filter(new__contains=token).exists()


def test_bad_telephony_targets_are_field_errors(admin_client, world):
    response = admin_client.post(reverse("settings:telephony"), {"assignee": world.analyst.pk})
    assert response.status_code == 400 and 'class="field field-error"' in response.content.decode()
    assert not TelephonySettings.objects.exists()
