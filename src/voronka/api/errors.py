"""Every API failure as RFC 9457 problem JSON (``application/problem+json``), never a 500 page.

The body extends ``core.http.problem`` (``type``, ``title``, ``status``, ``detail``, ``code``, ``field``,
``fields``) with ``errors``: one ``{field, message, code}`` per bad field. Domain errors keep their class's
status (``NotFound`` 404, ``Forbidden`` 403, ``Conflict`` 409), except ``MissingFields``: 422 here, with every
missing field; schema validation is 422 too; authentication 401 with ``WWW-Authenticate``.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from voronka.core.errors import DomainError, MissingFields

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
_LOCATIONS = ("body", "query", "path", "header", "cookie", "form")


class Replay(Exception):
    def __init__(self, status: int, body: str, content_type: str) -> None:
        super().__init__("replay")
        self.status, self.body, self.content_type = status, body, content_type


def problem_response(*, status: int, detail: str, code: str, field: str | None = None,
                     errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None
                     ) -> HttpResponse:
    errors = errors or []
    fields = list(dict.fromkeys(e["field"] for e in errors if e.get("field")))
    body = {
        "type": f"urn:voronka:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "field": field if field is not None else (fields[0] if fields else None),
        "fields": fields,
        "errors": errors,
    }
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_TYPE)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def domain_problem(exc: DomainError) -> HttpResponse:
    status = 422 if isinstance(exc, MissingFields) else exc.status
    names = exc.fields or ([exc.field] if exc.field else [])
    errors = [{"field": name, "message": exc.message, "code": exc.code} for name in names]
    headers = {}
    if getattr(exc, "retry_after", None):
        headers["Retry-After"] = str(exc.retry_after)
    return problem_response(status=status, detail=exc.message, code=exc.code, field=exc.field, errors=errors,
                            headers=headers)


def _field_of(loc: tuple | list) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:] if parts[0] != "body" or len(parts) < 2 else parts[2:] or parts[1:]
    return ".".join(parts) or "body"


def validation_problem(exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = error.get("loc") or ()
        errors.append({"field": _field_of(loc), "message": str(error.get("msg", "")),
                       "code": str(error.get("type", "invalid"))})
    return problem_response(status=422, detail=_("Some values are not valid."), code="validation", errors=errors)


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api`` (the most specific class wins, as in ninja)."""

    @api.exception_handler(Replay)
    def replay(request: HttpRequest, exc: Replay) -> HttpResponse:
        response = HttpResponse(exc.body, status=exc.status, content_type=exc.content_type)
        response["Idempotent-Replayed"] = "true"
        return response

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        logger.info("api domain error", extra={"code": exc.code, "status": exc.status, "path": request.path})
        return domain_problem(exc)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return validation_problem(exc)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(status=401, code="unauthenticated",
                                detail=_("Sign in or send a valid token: Authorization: Bearer <token>."),
                                headers={"WWW-Authenticate": 'Bearer realm="voronka"'})

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code if 400 <= exc.status_code < 600 else 400
        code = "csrf_failed" if "CSRF" in str(exc) else "bad_request" if status == 400 else f"http_{status}"
        return problem_response(status=status, detail=str(exc), code=code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(status=404, detail=_("Not found."), code="not_found")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("api unexpected error", extra={"path": request.path})
        return problem_response(status=500, detail=_("Internal error; it has been logged."), code="internal")
