"""Domain errors as HTTP: one mapping for pages, htmx requests and the API (RFC 9457 problem JSON)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from voronka.core.errors import DomainError, NotFound

T = TypeVar("T")

API_PREFIX = "/api/"
MESSAGE_TARGET = "#modal-root"  # where htmx shows an error (base.html), whatever the request targeted


def writers_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page that only writes (an edit dialog, a form): read-only users get a 403 instead of a form that every
    POST would refuse. ``?display=1`` (an inline field's read-only view) stays open to them."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "is_read_only", False) and not (request.method == "GET" and "display" in request.GET):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def get_or_404(selector: Callable[..., T], /, **kwargs: Any) -> T:
    """Call a selector; its ``NotFound`` (hidden or missing, the same to the user) becomes Django's 404."""
    try:
        return selector(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def problem(exc: DomainError) -> JsonResponse:
    """RFC 9457 problem details for a domain error (the API's exception handler returns this too)."""
    body = {
        "type": f"urn:voronka:problem:{exc.code}",
        "title": HTTPStatus(exc.status).phrase,
        "status": exc.status,
        "detail": exc.message,
        "code": exc.code,
        "field": exc.field,
        "fields": exc.fields,
    }
    return JsonResponse(body, status=exc.status, content_type="application/problem+json",
                        json_dumps_params={"ensure_ascii": False})


def error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The answer to a domain error nobody caught: problem JSON under /api/, a dialog for htmx, else a page.

    htmx does not swap 4xx answers, so the dialog comes with 200 and ``HX-Retarget``/``HX-Reswap`` into
    the message area (the status is in ``X-Voronka-Status``); full pages carry the real status.
    """
    if request.path.startswith(API_PREFIX):
        return problem(exc)
    context = {"message": exc.message, "status": exc.status, "title": _error_title(exc.status)}
    if getattr(request, "htmx", False):
        response = render(request, "core/_error_dialog.html", context)
        response["HX-Retarget"] = MESSAGE_TARGET
        response["HX-Reswap"] = "innerHTML"
        response["X-Voronka-Status"] = str(exc.status)
        return response
    return render(request, "core/error.html", context, status=exc.status)


def _error_title(status: int) -> str:
    return {404: _("Not found"), 403: _("Not allowed"), 409: _("Changed meanwhile")}.get(status, _("Not done"))


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``VORONKA_PROXY_COUNT`` trusted proxies the address
    the outermost of them saw (``X-Forwarded-For`` counted from the right, so a client cannot forge it)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = getattr(settings, "VORONKA_PROXY_COUNT", 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies > 0 and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return remote
