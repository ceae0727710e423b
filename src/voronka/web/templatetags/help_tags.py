"""``{% help_url %}`` (the guide's section of the current screen) and ``|safe_markdown`` (sanitised Markdown)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from voronka.web.guide import section_for
from voronka.web.markdown import render_markdown

register = template.Library()


@register.simple_tag(takes_context=True)
def help_url(context) -> str:
    """``/help/<section>/`` for the screen being rendered (from its resolved URL name), else ``/help/``."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    section = section_for(match.view_name if match else None)
    return reverse("web:help_section", args=[section]) if section else reverse("web:help")


@register.filter
def safe_markdown(text: str | None) -> SafeString:
    return render_markdown(text)
