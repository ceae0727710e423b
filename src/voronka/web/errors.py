"""The 403, 404 and 500 pages in the product's layout, and the log filter that keeps ordinary 4xx answers
free of tracebacks."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "web/error_page.html", {"status": status, "title": title, "message": message},
                  status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, _("Not allowed"),
                 _("Your role does not allow this page or action. Ask your administrator if you need it."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, _("Page not found"),
                 _("There is no such page, or the record was removed or is outside your access."))


def server_error(request: HttpRequest) -> HttpResponse:
    """No context processors (the database may be what failed): a plain page with the stylesheet and a link."""
    template = loader.get_template("web/500.html")
    return HttpResponseServerError(template.render({}))


class NoTracebackFor4xx(logging.Filter):
    """``django.request`` attaches the exception to its "Not Found" / "Forbidden" warnings: an ordinary 403 or
    404 is one line in the log, not a traceback. 5xx records keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= int(status) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
