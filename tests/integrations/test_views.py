"""Settings › Webhooks: administrators only; create (secret shown once), edit, pause, resume, rotate, test,
replay, delete; the delivery log; query caps on the list pages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from voronka.audit.models import AuditEntry
from voronka.events.models import OutboxEvent
from voronka.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from voronka.integrations.services import create_subscription, pause_subscription


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def _form(url: str, **overrides) -> dict:
    return {"name": "ERP", "target_url": url, "event_types": ["deal.won", "deal.lost"], **overrides}


def test_admin_creates_a_webhook_and_sees_its_secret_once(admin_client, receiver):
    response = admin_client.post(reverse("settings:webhook_create"), _form(receiver.url))
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("settings:webhook", args=[subscription.pk])
    assert subscription.event_types == ["deal.lost", "deal.won"] and subscription.is_active
    page = admin_client.get(response["Location"]).content.decode()
    assert subscription.secret in page and 'id="secret-once"' in page
    again = admin_client.get(response["Location"]).content.decode()
    assert subscription.secret not in again
    assert AuditEntry.objects.filter(action="webhook.created").count() == 1


@pytest.mark.parametrize(("values", "field_text"), [
    ({"target_url": "ftp://example.com/x"}, "http://"),
    ({"target_url": "http://"}, "http://"),
    ({"event_types": ["deal.exploded"]}, "deal.exploded"),
    ({"event_types": []}, "Choose the events"),
])
def test_bad_values_show_a_field_message_and_create_nothing(admin_client, values, field_text, settings):
    settings.LANGUAGE_CODE = "en"
    response = admin_client.post(reverse("settings:webhook_create"), _form("https://example.com/h", **values),
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert field_text in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_edit_changes_the_url_and_events(admin_client, world, receiver):
    s = create_subscription(actor=world.admin, name="A", target_url="https://example.com/a", event_types=["*"])
    response = admin_client.post(reverse("settings:webhook_edit", args=[s.pk]),
                                 _form(receiver.url, name="B", event_types=["task.result"]))
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.name, s.target_url, s.event_types) == ("B", receiver.url, ["task.result"])


def test_pause_banner_resume_rotate_and_delete(admin_client, world, receiver):
    s = create_subscription(actor=world.admin, name="A", target_url=receiver.url, event_types=["*"])
    page = reverse("settings:webhook", args=[s.pk])
    assert admin_client.post(reverse("settings:webhook_pause", args=[s.pk])).status_code == 302
    html = admin_client.get(page).content.decode()
    assert 'id="paused-banner"' in html
    assert admin_client.post(reverse("settings:webhook_resume", args=[s.pk])).status_code == 302
    assert 'id="paused-banner"' not in admin_client.get(page).content.decode()
    old = s.secret
    admin_client.post(reverse("settings:webhook_rotate", args=[s.pk]))
    s.refresh_from_db()
    assert s.secret != old and s.secret in admin_client.get(page).content.decode()
    admin_client.post(reverse("settings:webhook_delete", args=[s.pk]))
    assert not WebhookSubscription.objects.exists()


def test_send_test_event_and_replay_from_the_log(admin_client, world, receiver, django_capture_on_commit_callbacks):
    s = create_subscription(actor=world.admin, name="A", target_url=receiver.url, event_types=["*"])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("settings:webhook_test", args=[s.pk]))
    delivery = WebhookDelivery.objects.get(subscription=s)
    assert delivery.status == DeliveryStatus.DELIVERED and receiver.requests[0].json["type"] == "webhook.test"
    html = admin_client.get(reverse("settings:webhook", args=[s.pk])).content.decode()
    assert "webhook.test" in html and reverse("settings:webhook_replay", args=[s.pk, delivery.pk]) in html
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("settings:webhook_replay", args=[s.pk, delivery.pk]))
    assert response.status_code == 302 and len(receiver.requests) == 2
    pause_subscription(actor=world.admin, subscription=s)
    admin_client.post(reverse("settings:webhook_replay", args=[s.pk, delivery.pk]))  # refused: paused
    assert len(receiver.requests) == 2


def _all_urls(subscription, delivery) -> list[tuple[str, str]]:
    pk = subscription.pk
    return [("get", reverse("settings:webhooks")), ("get", reverse("settings:webhook_create")),
            ("post", reverse("settings:webhook_create")), ("get", reverse("settings:webhook", args=[pk])),
            ("get", reverse("settings:webhook_edit", args=[pk])), ("post", reverse("settings:webhook_edit", args=[pk])),
            *(("post", reverse(f"settings:webhook_{a}", args=[pk])) for a in ("pause", "resume", "rotate", "test",
                                                                           "delete")),
            ("post", reverse("settings:webhook_replay", args=[pk, delivery.pk]))]


@pytest.mark.parametrize("who", ["owner", "lead", "head", "analyst"])
def test_nobody_but_admins_opens_any_webhook_page(client, world, who):
    s = create_subscription(actor=world.admin, name="A", target_url="https://example.com/a", event_types=["*"])
    event = OutboxEvent.objects.filter(verb="webhook.created").get()
    delivery = WebhookDelivery.objects.create(subscription=s, event_id=event.pk, event_type="deal.won", payload={})
    client.force_login(getattr(world, who))
    for method, url in _all_urls(s, delivery):
        response = getattr(client, method)(url, _form("https://example.com/x") if method == "post" else {})
        assert response.status_code in (403, 404), (who, method, url, response.status_code)
    s.refresh_from_db()
    assert s.is_active and s.name == "A" and WebhookSubscription.objects.count() == 1
    client.logout()
    assert client.get(reverse("settings:webhooks")).status_code == 302  # to the sign-in page


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add(world, n: int, start: int = 0) -> None:
    event = OutboxEvent.objects.order_by("-id").first()
    for i in range(start, start + n):
        s = create_subscription(actor=world.admin, name=f"S{i}", target_url=f"https://example.com/{i}",
                                event_types=["*"])
        WebhookDelivery.objects.create(subscription=s, event_id=event.pk, event_type="deal.won", payload={"a": i},
                                       status=DeliveryStatus.DELIVERED)


def test_the_list_and_the_log_run_a_fixed_number_of_queries(admin_client, world, django_assert_max_num_queries):
    _add(world, 3)
    few = _queries(admin_client, reverse("settings:webhooks"))
    _add(world, 7, start=3)
    assert _queries(admin_client, reverse("settings:webhooks")) == few
    with django_assert_max_num_queries(12):
        admin_client.get(reverse("settings:webhooks"))
    s = WebhookSubscription.objects.first()
    events = list(OutboxEvent.objects.values_list("pk", flat=True)[:12])
    for pk in events[:3]:
        WebhookDelivery.objects.get_or_create(subscription=s, event_id=pk, defaults={"event_type": "deal.won"})
    log = reverse("settings:webhook", args=[s.pk])
    few = _queries(admin_client, log)
    for pk in events[3:]:
        WebhookDelivery.objects.get_or_create(subscription=s, event_id=pk, defaults={"event_type": "deal.won"})
    assert WebhookDelivery.objects.filter(subscription=s).count() >= 10
    assert _queries(admin_client, log) == few
    with django_assert_max_num_queries(12):
        admin_client.get(log)


def test_the_webhook_edit_dialog_opens_filled_in(admin_client, world):
    s = create_subscription(actor=world.admin, name="CRM-зеркало", target_url="https://hooks.example/x",
                            event_types=["deal.won"])
    html = admin_client.get(reverse("settings:webhook_edit", args=[s.pk])).content.decode()
    assert 'value="CRM-зеркало"' in html and 'value="https://hooks.example/x"' in html
    assert re.search(r'value="deal\.won"[^>]*checked', html)
    assert not re.search(r'value="deal\.lost"[^>]*checked', html)
