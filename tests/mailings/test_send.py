"""Sending a typical email from a deal or a client page: preview, real SMTP, the timeline."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from django.urls import reverse

from tests.factories import make_client, make_deal
from voronka.activities.models import Activity
from voronka.clients.services import add_contact
from voronka.core.errors import Conflict
from voronka.mailings.models import Send, Unsubscribe
from voronka.mailings.services import send_template_email

pytestmark = pytest.mark.django_db


def _header(value) -> str:
    return str(make_header(decode_header(value)))


@pytest.fixture
def deal(world):
    client = make_client(world.owner, name="ООО Альфа", email="office@alpha.example")
    contact = add_contact(actor=world.owner, client=client, name="Мария", email="maria@alpha.example")
    return make_deal(world.owner, world.pipeline, client=client, values={"contact": contact.pk})


def test_a_send_from_the_deal_page_previews_then_arrives_from_the_manager(world, deal, templates, client, commit,
                                                                           smtp_server):
    world.owner.first_name, world.owner.email = "Иван", "ivan@voronka.example"
    world.owner.save()
    client.force_login(world.owner)
    url = reverse("mailings:deal_send", args=[deal.pk])
    assert "send-dialog" in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    preview = client.post(url, {"template": templates[0].pk, "preview": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "ООО Альфа, вернёмся к разговору?" in preview and "Здравствуйте, Мария!" in preview
    assert "maria@alpha.example" in preview and not Send.objects.exists()
    with commit():
        response = client.post(url, {"template": templates[0].pk, "send": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("deals:detail", args=[deal.pk])
    [message] = smtp_server.wait(1)
    assert message["To"] == "maria@alpha.example"
    assert "ivan@voronka.example" in message["From"] and message["Reply-To"] == "ivan@voronka.example"
    assert message["List-Unsubscribe"] is None  # a personal email, not an automatic one
    body = message.get_payload(decode=True).decode()
    assert "Здравствуйте, Мария!" in body
    send = Send.objects.get()
    assert f"/m/c/{send.token}/" in body and send.sent_at is not None
    entry = Activity.objects.get(deal=deal, kind="email")
    assert entry.author == world.owner and "вернёмся к разговору" in entry.body


def test_a_send_from_the_client_page_goes_to_the_client_address(world, templates, client, commit, smtp_server):
    customer = make_client(world.owner, name="Бета", email="beta@example.com")
    client.force_login(world.owner)
    with commit():
        client.post(reverse("mailings:client_send", args=[customer.pk]), {"template": templates[1].pk, "send": "1"})
    [message] = smtp_server.wait(1)
    assert message["To"] == "beta@example.com" and _header(message["Subject"]) == "Скидка для Бета"
    assert Activity.objects.filter(client=customer, kind="email").count() == 1


def test_someone_elses_deal_is_not_found(world, deal, templates, client):
    client.force_login(world.outsider)
    url = reverse("mailings:deal_send", args=[deal.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"template": templates[0].pk, "send": "1"}).status_code == 404
    assert not Send.objects.exists()


def test_an_unsubscribed_client_is_not_sent_a_template(world, deal, templates):
    Unsubscribe.objects.create(client=deal.client, email="x@example.com", at=deal.created_at)
    with pytest.raises(Conflict):
        send_template_email(actor=world.owner, template=templates[0], deal=deal)


def test_a_client_without_an_address_is_a_field_error(world, templates, client):
    customer = make_client(world.owner, name="Без почты")
    client.force_login(world.owner)
    response = client.post(reverse("mailings:client_send", args=[customer.pk]),
                           {"template": templates[0].pk, "send": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "no email address" in response.content.decode()
    assert not Send.objects.exists()


def test_a_failing_mail_server_keeps_the_email_for_the_retry_pass(world, deal, templates, settings, commit):
    from voronka.mailings.services import deliver_pending

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    with commit():
        send_template_email(actor=world.owner, template=templates[0], deal=deal)
    send = Send.objects.get()
    assert send.sent_at is None and send.attempts == 1 and send.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_pending() == 1 and deliver_pending() == 0
    from django.core import mail
    assert len(mail.outbox) == 1
