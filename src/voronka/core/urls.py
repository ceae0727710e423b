"""The one reader of ``next``: where to go back after a form is posted without JavaScript.

A ``next`` that is not a safe local path (``1``, ``//evil.example``, ``https://…``, ``javascript:…``, a
path with control characters) falls back to the default page. ``redirect()`` would try a bare word such as
``1`` as a URL name and raise NoReverseMatch after the write has committed; this helper never raises.
"""

from __future__ import annotations

import unicodedata

from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme

MAX_NEXT = 2000


def is_safe_path(value: str, *, request=None) -> bool:
    """A path on this site: starts with one "/", no scheme or host, no control characters, not too long."""
    if not value or len(value) > MAX_NEXT or not value.startswith("/") or value.startswith(("//", "/\\")):
        return False
    if any(unicodedata.category(ch)[0] == "C" for ch in value):
        return False
    hosts = {request.get_host()} if request is not None else set()
    return url_has_allowed_host_and_scheme(value, allowed_hosts=hosts,
                                           require_https=bool(request is not None and request.is_secure()))


def _resolve(default: str) -> str:
    if not default or default.startswith("/"):
        return default
    try:
        return reverse(default)
    except NoReverseMatch:
        return "/"


def safe_next(request, default: str = "/") -> str:
    """``next`` from the POST (or the query string) when it is a safe local path, else ``default``.

    ``default`` is a path or a URL name (``"web:my_day"``); an empty default gives "" (no next at all).
    """
    for source in (request.POST, request.GET):
        value = source.get("next")
        if value:
            return value if is_safe_path(value, request=request) else _resolve(default)
    return _resolve(default)
