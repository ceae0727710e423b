"""Two-factor sign-in (TOTP): enrolment with a code, sign-in asks for it, required roles are sent to set it up."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from voronka.audit.models import AuditEntry

PASSWORD = "Right-horse-battery-9"


def _code(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


@pytest.fixture
def manager(world):
    world.owner.set_password(PASSWORD)
    world.owner.save()
    return world.owner


def _sign_in(http: HttpClient, user, token: str = "") -> bool:
    http.post(reverse("web:login"), {"username": user.username, "password": PASSWORD, "otp_token": token})
    return "_auth_user_id" in http.session


def _enrol(http: HttpClient, user) -> TOTPDevice:
    page = http.get(reverse("web:two_factor"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert http.post(reverse("web:two_factor"), {"otp_token": "000000" if _code(device) != "000000" else "111111"}
                     ).status_code == 400  # a wrong code turns nothing on
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert http.post(reverse("web:two_factor"), {"otp_token": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_enrolment_then_sign_in_needs_the_code(manager):
    http = HttpClient()
    assert _sign_in(http, manager)  # no device yet: the password is enough
    device = _enrol(http, manager)
    assert AuditEntry.objects.filter(action="user.two_factor_enabled", object_id=str(manager.pk)).exists()
    assert not _sign_in(HttpClient(), manager)  # password alone is refused now
    assert not _sign_in(HttpClient(), manager, token="12ab56")
    device.refresh_from_db()
    assert _sign_in(HttpClient(), manager, token=_code(device, drift=1))  # the next step's code (not reused)


def test_turning_it_off_needs_a_current_code(manager):
    http = HttpClient()
    _sign_in(http, manager)
    device = _enrol(http, manager)
    assert http.post(reverse("web:two_factor"), {"action": "disable", "otp_token": "abc"}).status_code == 400
    assert TOTPDevice.objects.filter(user=manager).exists()
    assert http.post(reverse("web:two_factor"), {"action": "disable", "otp_token": _code(device, drift=1)}
                     ).status_code == 302
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert _sign_in(HttpClient(), manager)


def test_a_required_role_is_sent_to_set_it_up_and_cannot_turn_it_off(settings, world, manager):
    settings.VORONKA_2FA_REQUIRED_ROLES = [manager.role]
    http = HttpClient()
    assert _sign_in(http, manager)
    response = http.get(reverse("web:my_day"))
    assert response.status_code == 302 and response["Location"] == reverse("web:two_factor")
    device = _enrol(http, manager)
    assert http.get(reverse("web:my_day")).status_code == 200
    assert http.post(reverse("web:two_factor"), {"action": "disable", "otp_token": _code(device, drift=1)}
                     ).status_code == 400
    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()
    other = HttpClient()
    other.force_login(world.teammate)  # same role, no device: sent to set-up too
    assert other.get(reverse("deals:list")).status_code == 302


def test_an_administrator_makes_it_mandatory_in_settings(world):
    admin = HttpClient()
    admin.force_login(world.admin)
    url = reverse("settings:access")
    head = HttpClient()
    head.force_login(world.head)
    assert head.get(reverse("web:my_day")).status_code == 200
    assert admin.post(url, {"form": "two_factor", "two_factor_roles": ["head"]}).status_code == 302
    response = head.get(reverse("web:my_day"))
    assert response.status_code == 302 and response["Location"] == reverse("web:two_factor")
    entry = AuditEntry.objects.get(action="access.two_factor_roles_changed")
    assert (entry.old, entry.new) == ("—", "head")
    assert admin.post(url, {"form": "two_factor", "two_factor_roles": ["king"]}).status_code == 400
    assert admin.post(url, {"form": "two_factor"}).status_code == 302  # none ticked: optional again
    assert head.get(reverse("web:my_day")).status_code == 200
    manager = HttpClient()
    manager.force_login(world.owner)
    assert manager.post(url, {"form": "two_factor", "two_factor_roles": ["manager"]}).status_code in (403, 404)
    assert manager.get(reverse("web:my_day")).status_code == 200
