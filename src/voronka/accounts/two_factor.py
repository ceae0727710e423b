"""Two-factor sign-in with a TOTP authenticator app (django-otp): enrol, confirm, disable, verify.

A user turns it on for himself (Settings › Two-factor sign-in); an administrator makes it mandatory for
roles in Settings › Access (or ``VORONKA_2FA_REQUIRED_ROLES``, e.g. ``admin,head``): such a user is sent to
the enrolment page until he has confirmed a device. Sign-in asks for the code only when the user has a confirmed device.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from voronka.accounts.models import Role, TwoFactorRequirement, User
from voronka.accounts.permissions import require_perm
from voronka.core.errors import DomainError
from voronka.events.services import record_event

TOKEN_FIELD = "otp_token"


def has_two_factor(user: User) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def required_roles(user: User | None = None) -> set[str]:
    """Roles that must use two-factor sign-in: Settings › Access plus ``VORONKA_2FA_REQUIRED_ROLES``.

    Read once per user object (the middleware asks on every request of a signed-in user)."""
    cached = user.__dict__.get("_2fa_roles") if user is not None else None
    if cached is None:
        cached = {r.strip() for r in settings.VORONKA_2FA_REQUIRED_ROLES if r.strip()}
        cached |= set(TwoFactorRequirement.objects.values_list("role", flat=True))
        if user is not None:
            user.__dict__["_2fa_roles"] = cached
    return cached


def required_for(user: User) -> bool:
    roles = required_roles(user)
    return bool(roles) and (user.role in roles or (user.is_superuser and "admin" in roles))


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (created on first need; a new secret each enrolment)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` URL as an inline SVG QR code (no image request, no external service)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=False)


def _token(raw) -> str:
    token = "".join(str(raw or "").split())
    if not (token.isascii() and token.isdigit() and len(token) == 6):
        raise DomainError(_("Enter the 6-digit code from the authenticator app."), field=TOKEN_FIELD)
    return token


@transaction.atomic
def confirm_device(*, actor: User, device: TOTPDevice, token) -> TOTPDevice:
    """Turn two-factor sign-in on: the code proves the app holds the secret."""
    if device.user_id != actor.pk or device.confirmed:
        raise DomainError(_("Start the set-up again."), field=TOKEN_FIELD)
    if not device.verify_token(_token(token)):
        raise DomainError(_("The code is wrong or expired: enter the current one."), field=TOKEN_FIELD)
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()  # one app per user
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_event(actor=actor, verb="user.two_factor_enabled", target=actor)
    return device


@transaction.atomic
def disable_two_factor(*, actor: User, token) -> None:
    """Turn it off with a current code; refused where the role requires it."""
    if required_for(actor):
        raise DomainError(_("Two-factor sign-in is required for your role."), field=TOKEN_FIELD)
    code = _token(token)
    if not any(device.verify_token(code) for device in devices_for_user(actor, confirmed=True)):
        raise DomainError(_("The code is wrong or expired: enter the current one."), field=TOKEN_FIELD)
    TOTPDevice.objects.filter(user=actor).delete()
    record_event(actor=actor, verb="user.two_factor_disabled", target=actor)


def verify_sign_in(user: User, token) -> TOTPDevice | None:
    """The confirmed device that accepts ``token`` (django-otp throttles repeated failures), else None."""
    try:
        code = _token(token)
    except DomainError:
        return None
    return next((d for d in devices_for_user(user, confirmed=True) if d.verify_token(code)), None)


@transaction.atomic
def set_two_factor_roles(*, actor: User, roles: list[str]) -> list[str]:
    """Make two-factor sign-in mandatory for exactly ``roles`` (besides the environment's); audited."""
    require_perm(actor, "configure")
    wanted = sorted(set(roles))
    unknown = [r for r in wanted if r not in Role.values]
    if unknown:
        raise DomainError(_("Unknown role: %(role)s.") % {"role": ", ".join(unknown)}, field="two_factor_roles")
    before = sorted(TwoFactorRequirement.objects.select_for_update().values_list("role", flat=True))
    if before == wanted:
        return wanted
    TwoFactorRequirement.objects.exclude(role__in=wanted).delete()
    for role in wanted:
        TwoFactorRequirement.objects.get_or_create(role=role)
    record_event(actor=actor, verb="access.two_factor_roles_changed", target=actor,
                 changes={"two_factor_roles": (",".join(before) or "—", ",".join(wanted) or "—")})
    return wanted
