"""The in-app user guide (``/help/``): one section per screen, in Russian and English, per role.

The text of a section lives in ``web/help/<language>/<slug>.html`` (one template per language, so a whole
page is written by a person, not glued from sentences). The "?" of the top bar links the section of the
current screen, found from the resolved URL name (:func:`section_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

LANGUAGES = ("ru", "en")


@dataclass(frozen=True)
class Section:
    slug: str
    title: Promise


SECTIONS: tuple[Section, ...] = (
    Section("my-day", _("My day")),
    Section("board", _("Board")),
    Section("deal", _("Deal page")),
    Section("deals", _("Deal list")),
    Section("client", _("Clients and the client card")),
    Section("tasks", _("Tasks")),
    Section("quick-add", _("Quick add: + Lead")),
    Section("reports", _("Reports and dashboards")),
    Section("settings", _("Settings")),
)
BY_SLUG = {section.slug: section for section in SECTIONS}

# URL name (namespace:name) or whole namespace -> section; anything else opens the guide's start page.
URL_SECTIONS: dict[str, str] = {
    "web:home": "my-day",
    "web:my_day": "my-day",
    "deals:board_default": "board",
    "deals:board": "board",
    "deals:detail": "deal",
    "deals:list": "deals",
    "clients:list": "client",
    "clients:detail": "client",
    "clients:edit": "client",
    "clients:quick_add": "quick-add",
    "activities:list": "tasks",
}
NAMESPACE_SECTIONS: dict[str, str] = {"analytics": "reports", "plans": "reports", "settings": "settings"}


def section_for(url_name: str | None) -> str | None:
    """The guide's section of a screen by its URL name ("deals:board" -> "board"), else None."""
    if not url_name:
        return None
    return URL_SECTIONS.get(url_name) or NAMESPACE_SECTIONS.get(url_name.partition(":")[0])


def _language() -> str:
    language = (get_language() or "ru")[:2]
    return language if language in LANGUAGES else "en"


def _context(request: HttpRequest, current: Section | None) -> dict:
    user = request.user
    role = "admin" if user.can_configure else user.role
    return {"sections": SECTIONS, "current": current, "role": role, "lang": _language(), "nav": "help"}


@require_GET
@login_required
def help_index(request: HttpRequest) -> HttpResponse:
    """The start page: what each role does in the CRM, and the list of sections."""
    context = _context(request, None)
    context["body_template"] = f"web/help/{context['lang']}/index.html"
    return render(request, "web/help/page.html", context)


@require_GET
@login_required
def help_section(request: HttpRequest, slug: str) -> HttpResponse:
    """One screen's section (``slug`` is the section's name: the route parameter shared with other pages)."""
    section = BY_SLUG.get(slug)
    if section is None:
        raise Http404
    context = _context(request, section)
    context["body_template"] = f"web/help/{context['lang']}/{section.slug}.html"
    return render(request, "web/help/page.html", context)
