"""Who calls: a personal token (``Authorization: Bearer vrk_...``) or the browser session (CSRF on writes).

A bad, revoked or inactive user's token is a 401 even when a session cookie comes along; a read token may
only read (403 on a write); every token has a request budget per minute (429 with ``Retry-After``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from voronka.accounts.selectors import find_api_token
from voronka.accounts.services import mark_token_used
from voronka.core.errors import DomainError, Forbidden
from voronka.core.ratelimit import count_hit

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class RateLimited(DomainError):
    status = 429
    default_code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(_("Too many requests: retry in %(n)s s.") % {"n": retry_after})
        self.retry_after = retry_after


def _check_rate(request: HttpRequest, bucket: str) -> None:
    """A fixed one-minute window per token (or session user) in the shared cache."""
    limit = settings.VORONKA_API_RATE_PER_MINUTE
    if limit <= 0:
        return
    count, left = count_hit(f"api:{bucket}", window_seconds=60)
    if count > limit:
        raise RateLimited(retry_after=max(1, int(left) + 1))


def _require_write_scope(request: HttpRequest, token) -> None:
    if request.method not in SAFE_METHODS and token is not None and not token.can_write:
        raise Forbidden(_("This token is read-only."), code="read_only_token")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer vrk_<prefix>_<secret>`` (a personal token from the user's API tokens page)."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            raise AuthenticationError()
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str):
        found = find_api_token(token)
        if found is None:
            raise AuthenticationError()  # not None: a bad token never falls back to the session
        _check_rate(request, f"t{found.pk}")
        _require_write_scope(request, found)
        mark_token_used(token=found)
        request.api_token = found
        return found.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser (the UI, the docs page): writes need the ``X-CSRFToken`` header."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # no session: a 401, not a CSRF failure
        return super().__call__(request)  # checks CSRF on writes, then authenticate()

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        _check_rate(request, f"u{user.pk}")
        request.api_token = None
        return user


API_AUTH = [TokenAuth(), SessionAuth()]
