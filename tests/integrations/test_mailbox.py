"""Mailbox capture against a real IMAP server (a throwaway dovecot started by the test) through ``voronka tick``:
leads from unknown senders, emails on a known client's timeline, each message taken once."""

from __future__ import annotations

import os
import shutil
import tempfile
from email.message import EmailMessage

import pytest

from tests.factories import make_client, make_deal
from tests.support.imap import DOVECOT, PASSWORD, USER, DovecotServer
from voronka.activities.models import Activity, Task, TaskStatus
from voronka.cli import main
from voronka.clients.models import Client
from voronka.deals.models import Deal
from voronka.events.models import OutboxEvent
from voronka.integrations.mailbox import poll_mailbox
from voronka.integrations.models import MailMessage

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def imap(settings, world):
    if DOVECOT is None:
        reason = "dovecot is not installed (apt-get install dovecot-imapd): the mailbox tests need a real IMAP server"
        if os.environ.get("VORONKA_REQUIRE_IMAP") == "1":
            pytest.fail(reason)
        print(reason)
        pytest.skip(reason)
    folder = tempfile.mkdtemp(prefix="voronka-imap-")  # under /tmp: the mail user must reach it
    try:
        with DovecotServer(folder) as server:
            settings.VORONKA_IMAP_HOST = "127.0.0.1"
            settings.VORONKA_IMAP_PORT = server.port
            settings.VORONKA_IMAP_SSL = False
            settings.VORONKA_IMAP_USER = USER
            settings.VORONKA_IMAP_PASSWORD = PASSWORD
            settings.VORONKA_IMAP_FOLDER = "INBOX"
            settings.VORONKA_MAIL_ASSIGNEE = "owner"
            settings.VORONKA_MAIL_PIPELINE = world.pipeline.slug
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _mail(sender: str, subject: str, body: str, *, message_id: str, html: bool = False, **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "sales@voronka.example"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = "Tue, 01 Dec 2026 10:00:00 +0300"
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    if html:
        msg.set_content(body, subtype="html")
    else:
        msg.set_content(body)
    return bytes(msg)


def test_an_unknown_sender_becomes_a_lead_through_tick(world, imap, capsys):
    imap.deliver(_mail("Мария Иванова <Maria@Example.RU>", "Нужен расчёт на 20 лицензий",
                       "Здравствуйте! Пришлите КП.", message_id="<m1@example.ru>"))
    assert main(["tick"]) == 0
    assert "mailbox messages taken: 1" in capsys.readouterr().out
    client = Client.objects.get(email="maria@example.ru")
    assert client.name == "Мария Иванова" and client.responsible == world.owner
    deal = Deal.objects.get(client=client)
    assert deal.pipeline == world.pipeline and deal.owner == world.owner
    assert deal.title == "Нужен расчёт на 20 лицензий"
    task = Task.objects.get(deal=deal, status=TaskStatus.OPEN)
    assert task.assignee == world.owner and task.kind == "email"
    entry = Activity.objects.get(kind="email", deal=deal)
    assert "Пришлите КП" in entry.body and entry.data["message_id"] == "<m1@example.ru>"
    assert entry.at.isoformat().startswith("2026-12-01T07:00")
    assert OutboxEvent.objects.filter(verb="email.received").count() == 1
    assert imap.unseen() == 0
    assert poll_mailbox() == 0  # nothing new: nothing twice
    assert Deal.objects.count() == 1


def test_a_known_client_gets_the_email_on_his_timeline_and_a_repeat_is_nothing(world, imap):
    client = make_client(world.owner, name="ООО Ромашка", email="buyer@romashka.ru")
    deal = make_deal(world.owner, world.pipeline, client=client)
    raw = _mail("buyer@romashka.ru", "Re: КП", "<p>Согласны, <b>выставляйте счёт</b></p>",
                message_id="<m2@romashka.ru>", html=True)
    imap.deliver(raw)
    imap.deliver(raw)  # the same message twice (e.g. copied back)
    assert poll_mailbox() == 1
    entry = Activity.objects.get(kind="email", client=client)
    assert entry.deal_id == deal.pk and "Согласны, выставляйте счёт" in entry.body and "<b>" not in entry.body
    assert Deal.objects.count() == 1 and MailMessage.objects.count() == 1
    assert imap.unseen() == 0
    answer = Task.objects.get(deal=deal, kind="email", status=TaskStatus.OPEN)
    assert answer.assignee == world.owner
    imap.deliver(_mail("buyer@romashka.ru", "Re: Re: КП", "И ещё вопрос", message_id="<m3@romashka.ru>"))
    assert poll_mailbox() == 1
    assert Activity.objects.filter(kind="email", client=client).count() == 2
    assert Task.objects.filter(deal=deal, kind="email", status=TaskStatus.OPEN).count() == 1  # one is enough


def test_auto_replies_and_bad_senders_are_skipped_and_an_unready_setup_waits(world, imap, settings):
    imap.deliver(_mail("robot@example.ru", "Out of office", "away", message_id="<a1@x>", Auto_Submitted="auto-replied"))
    imap.deliver(_mail("not an address", "??", "x", message_id="<a2@x>"))
    assert poll_mailbox() == 0 and imap.unseen() == 0 and Client.objects.count() == 0
    settings.VORONKA_MAIL_ASSIGNEE = ""
    imap.deliver(_mail("new@lead.ru", "Вопрос", "?", message_id="<a3@x>"))
    assert poll_mailbox() == 0 and imap.unseen() == 1  # kept for when a manager is set
    assert MailMessage.objects.count() == 0
    settings.VORONKA_MAIL_ASSIGNEE = "teammate"
    assert poll_mailbox() == 1 and Deal.objects.get().owner == world.teammate


def test_an_unreachable_or_refusing_mailbox_is_no_error(world, imap, settings):
    settings.VORONKA_IMAP_PASSWORD = "wrong"
    assert poll_mailbox() == 0
    settings.VORONKA_IMAP_PORT = 1
    assert poll_mailbox() == 0
