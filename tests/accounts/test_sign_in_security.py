"""Sign-in lockout (django-axes) per username and per address, its audit trail and the admin's unlock."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from tests.factories import sign_in
from voronka.audit.models import AuditEntry
from voronka.core.http import client_ip

PASSWORD = "Right-horse-battery-9"


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


@pytest.fixture
def manager(world):
    world.owner.set_password(PASSWORD)
    world.owner.save()
    return world.owner


def _fail(http: HttpClient, username: str, times: int, ip: str = "10.0.0.1") -> list[int]:
    return [http.post(reverse("web:login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=ip).status_code
            for _ in range(times)]


def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_message(manager, limit):
    http = HttpClient()
    assert _fail(http, manager.username, limit - 1) == [200] * (limit - 1)  # the form again, with an error
    assert _fail(http, manager.username, 1) == [429]  # the attempt that reaches the limit locks
    with translation.override("en"):
        response = http.post(reverse("web:login"), {"username": manager.username, "password": PASSWORD},
                             REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "_auth_user_id" not in http.session
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_failures_and_the_lockout_are_audited_with_the_address(manager, limit):
    _fail(HttpClient(), manager.username, limit, ip="10.0.0.7")
    failed = AuditEntry.objects.filter(action="auth.sign_in_failed", object_id=manager.username)
    assert failed.count() == limit and set(failed.values_list("new", flat=True)) == {"10.0.0.7"}
    assert AuditEntry.objects.filter(action="auth.locked_out", object_id=manager.username).exists()


def test_one_address_trying_many_names_is_locked_too(world, manager, limit):
    http = HttpClient()
    for index in range(limit):
        _fail(http, f"nobody{index}", 1, ip="10.0.0.9")
    response = http.post(reverse("web:login"), {"username": manager.username, "password": PASSWORD},
                         REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429 and "_auth_user_id" not in http.session
    other = HttpClient()  # another address is not locked
    other.post(reverse("web:login"), {"username": manager.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.10")
    assert "_auth_user_id" in other.session


def test_an_admin_unlocks_by_deleting_the_attempts_and_a_sign_in_is_audited(world, manager, limit):
    _fail(HttpClient(), manager.username, limit)
    admin = HttpClient()
    admin.force_login(world.admin)
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    assert attempts
    response = admin.post(reverse("admin:axes_accessattempt_changelist"),
                          {"action": "delete_selected", "_selected_action": attempts, "post": "yes"})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    http = HttpClient()
    assert sign_in(http, manager.username, PASSWORD)
    assert AuditEntry.objects.filter(action="auth.signed_in", object_id=str(manager.pk), actor=manager).exists()


def test_a_manager_cannot_unlock(world, manager, limit):
    _fail(HttpClient(), manager.username, limit)
    http = HttpClient()
    http.force_login(world.teammate)  # another manager (a sign-in of the locked user would reset his attempts)
    assert http.get(reverse("admin:axes_accessattempt_changelist")).status_code == 302  # to the admin sign-in
    assert AccessAttempt.objects.exists()


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "1.2.3.4", "10.0.0.1"),  # no proxy configured: a client cannot choose its address
    (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # one proxy: the address it saw, not what the client wrote before it
    (2, "1.2.3.4", "10.0.0.1"),  # fewer hops than proxies: the direct peer
])
def test_the_client_address_behind_proxies(settings, proxies, forwarded, expected):
    settings.VORONKA_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
