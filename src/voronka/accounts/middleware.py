"""Activate the language the user chose in the user menu; the session idle timeout."""

import time

from django.conf import settings
from django.shortcuts import redirect
from django.utils import translation

from voronka.accounts.services import touch_session


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class SessionIdleTimeoutMiddleware:
    """Sign a user out after ``SESSION_COOKIE_AGE`` seconds without a request (the idle timeout).

    Each request of a signed-in user moves the session's expiry forward, but the session row is written at
    most once a minute (``SESSION_REFRESH_SECONDS``), not on every page as ``SESSION_SAVE_EVERY_REQUEST``
    would. Expired sessions are deleted by ``voronka tick``.
    """

    KEY = "_voronka_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            if now - int(request.session.get(self.KEY, 0)) >= settings.SESSION_REFRESH_SECONDS:
                request.session[self.KEY] = now  # modified: the middleware saves it with a fresh expiry
                touch_session(session_key=request.session.session_key)
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """A user whose role requires two-factor sign-in goes to the enrolment page until he has an app."""

    ALLOWED = ("/account/two-factor/", "/logout/", "/static/", "/language/", "/healthz", "/readyz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from voronka.accounts.two_factor import has_two_factor, required_for

        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(self.ALLOWED)
                and required_for(user) and not has_two_factor(user)):
            return redirect("web:two_factor")
        return self.get_response(request)
