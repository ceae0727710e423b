"""Middleware of the core: the one place where an uncaught domain error becomes an HTTP answer."""

from __future__ import annotations

import logging

from voronka.core.errors import DomainError
from voronka.core.http import error_response

logger = logging.getLogger(__name__)


class DomainErrorMiddleware:
    """``NotFound`` → 404, ``Forbidden`` → 403, ``Conflict`` → 409, any other ``DomainError`` → 400, never 500.

    Views still catch the errors they can show on a form; this catches the rest (a service refusing an
    object the view did not expect, an API handler that lets the error through).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        logger.info("domain error", extra={"code": exception.code, "status": exception.status,
                                           "path": request.path})
        return error_response(request, exception)
