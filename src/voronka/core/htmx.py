"""htmx helpers: a dialog fragment for htmx, the page that includes it otherwise; redirects for both."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def dialog_or_page(request: HttpRequest, partial: str, page: str, context: dict, *, status: int = 200
                   ) -> HttpResponse:
    """htmx: the ``partial`` alone, always 200 (htmx skips 4xx swaps); otherwise ``page`` (which usually includes
    ``{% include partial %}``) with ``status`` (400 for a form with errors)."""
    if getattr(request, "htmx", False):
        return render(request, partial, {**context, "as_dialog": True})
    return render(request, page, {**context, "partial": partial, "as_dialog": False}, status=status)


def hx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """After a write: ``HX-Redirect`` for htmx (a 204 swaps nothing), a plain redirect otherwise."""
    if getattr(request, "htmx", False):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)
