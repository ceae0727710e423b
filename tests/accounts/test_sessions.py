"""Sessions end after the idle timeout, are refreshed at most once a minute, and expired ones are purged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from voronka.accounts.middleware import SessionIdleTimeoutMiddleware
from voronka.accounts.services import purge_expired_sessions


@pytest.fixture
def signed_in(world) -> HttpClient:
    http = HttpClient()
    http.force_login(world.owner)
    return http


def _session(http: HttpClient) -> Session:
    return Session.objects.get(session_key=http.session.session_key)


def test_a_session_lasts_the_idle_timeout_from_the_last_request(settings, signed_in):
    expiry = _session(signed_in).expire_date
    assert abs((expiry - timezone.now()).total_seconds() - settings.SESSION_COOKIE_AGE) < 60
    session = signed_in.session
    session[SessionIdleTimeoutMiddleware.KEY] = 0  # the last refresh was long ago
    session.save()
    Session.objects.filter(session_key=session.session_key).update(expire_date=timezone.now() + dt.timedelta(minutes=5))
    assert signed_in.get(reverse("web:my_day")).status_code == 200
    assert _session(signed_in).expire_date > timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_requests_within_a_minute_write_no_session_row(signed_in):
    signed_in.get(reverse("web:my_day"))
    before = _session(signed_in).expire_date
    signed_in.get(reverse("web:my_day"))
    assert _session(signed_in).expire_date == before


def test_an_idle_session_signs_out(signed_in):
    Session.objects.filter(session_key=signed_in.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = signed_in.get(reverse("web:my_day"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_expired_sessions_are_purged(world, signed_in):
    other = HttpClient()
    other.force_login(world.teammate)
    Session.objects.filter(session_key=other.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(days=1))
    assert purge_expired_sessions(now=timezone.now()) == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [signed_in.session.session_key]
