"""Password reset by email, through a real local SMTP server: the link works once, ends every session."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from django.urls import reverse

from tests.factories import sign_in
from voronka.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Kashtan-Ozero-2026"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def owner_with_email(world):
    world.owner.email = "owner@example.com"
    world.owner.save(update_fields=["email"])
    return world.owner


def _link(message) -> str:
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    return re.search(r"https?://[^/\s]+(/password/reset/\S+/)", body).group(1)


def test_the_link_sets_a_new_password_once_and_ends_every_session(owner_with_email, smtp_server):
    elsewhere = HttpClient()
    assert sign_in(elsewhere, "owner", "demo")
    browser = HttpClient()
    login = browser.get(reverse("web:login"))
    assert reverse("web:password_reset").encode() in login.content
    sent = browser.post(reverse("web:password_reset"), {"email": "OWNER@example.com"})
    assert sent.status_code == 302 and sent["Location"] == reverse("web:password_reset_done")
    [message] = smtp_server.wait(1)
    assert message["To"] == "owner@example.com"
    link = _link(message)

    form = browser.get(link, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("web:login")
    assert elsewhere.get(reverse("web:my_day")).status_code == 302  # signed out everywhere
    assert sign_in(HttpClient(), "owner", NEW_PASSWORD)
    again = HttpClient().get(link, follow=True)
    assert b"reset-link-invalid" in again.content  # used once
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"auth.password_reset_requested", "auth.password_reset_done"} <= actions


def test_an_unknown_address_gets_the_same_answer_and_no_mail(world, smtp_server):
    response = HttpClient().post(reverse("web:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("web:password_reset_done")
    assert smtp_server.wait(1, timeout=1) == []


def test_a_weak_new_password_is_refused_with_a_field_message(owner_with_email, smtp_server):
    browser = HttpClient()
    browser.post(reverse("web:password_reset"), {"email": "owner@example.com"})
    form = browser.get(_link(smtp_server.wait(1)[0]), follow=True)
    refused = browser.post(form.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"})
    assert refused.status_code == 200 and b"too short" in refused.content
    assert sign_in(HttpClient(), "owner", "demo")


def test_requests_are_limited_per_address(owner_with_email, smtp_server, settings):
    settings.VORONKA_PASSWORD_RESETS_PER_HOUR = 2
    browser = HttpClient()
    for _ in range(2):
        assert browser.post(reverse("web:password_reset"), {"email": "owner@example.com"}).status_code == 302
    refused = browser.post(reverse("web:password_reset"), {"email": "owner@example.com"})
    assert refused.status_code == 200 and b"Too many reset requests" in refused.content
    assert len(smtp_server.wait(3, timeout=2)) == 2


@pytest.mark.parametrize("path", ["/password/reset/xx/yy/", "/password/reset/MQ/set-password/",
                                  "/password/reset/%F0%9F%98%80/" + "9" * 300 + "/"])
def test_malformed_links_never_fail(world, path):
    response = HttpClient().get(path, follow=True)
    assert response.status_code in (200, 404)
