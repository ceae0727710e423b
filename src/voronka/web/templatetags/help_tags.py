"""``{% help_url %}``: the guide's section of the current screen."""

from __future__ import annotations

from django import template
from django.urls import reverse

from voronka.web.guide import section_for

register = template.Library()


@register.simple_tag(takes_context=True)
def help_url(context) -> str:
    """``/help/<section>/`` for the screen being rendered (from its resolved URL name), else ``/help/``."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    section = section_for(match.view_name if match else None)
    return reverse("web:help_section", args=[section]) if section else reverse("web:help")
