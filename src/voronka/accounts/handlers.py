"""Sign-ins, failed sign-ins and lockouts go to the audit trail (with the client's address); a sign-in starts
the session's idle clock."""

from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from voronka.accounts.middleware import SessionIdleTimeoutMiddleware
from voronka.accounts.services import register_session
from voronka.audit.services import record_sign_in_event
from voronka.core.http import client_ip


def _ip(request) -> str:
    return client_ip(request) if request is not None else ""


@receiver(user_logged_in, dispatch_uid="voronka.audit.sign_in")
def audit_sign_in(sender, request, user, **kwargs) -> None:
    record_sign_in_event(action="auth.signed_in", user=user, ip=_ip(request))
    if request is not None and hasattr(request, "session"):
        request.session[SessionIdleTimeoutMiddleware.KEY] = int(time.time())  # fresh: no refresh write soon
        register_session(user=user, session_key=request.session.session_key, ip=_ip(request),
                         user_agent=request.META.get("HTTP_USER_AGENT", ""))


@receiver(user_login_failed, dispatch_uid="voronka.audit.sign_in_failed")
def audit_failed_sign_in(sender, credentials, request=None, **kwargs) -> None:
    record_sign_in_event(action="auth.sign_in_failed", username=str(credentials.get("username", "")),
                         ip=_ip(request))


@receiver(user_locked_out, dispatch_uid="voronka.audit.locked_out")
def audit_lockout(sender, request, username=None, ip_address=None, **kwargs) -> None:
    record_sign_in_event(action="auth.locked_out", username=str(username or ""), ip=ip_address or _ip(request))
