"""Safe Markdown: what administrators write (pipeline instructions) rendered to sanitised HTML."""

from __future__ import annotations

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

# What a written instruction needs: text, lists, links, emphasis, headings, code, tables. No images, no scripts.
ALLOWED_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "code", "pre", "blockquote",
                "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str | None) -> SafeString:
    """Markdown to HTML with every tag and attribute outside the allow-list removed (``<script>`` included).

    Raw HTML in the source is escaped by nh3 unless allowed; links get ``rel="noopener noreferrer nofollow"``
    and only http(s)/mailto/tel schemes.
    """
    if not text:
        return mark_safe("")
    html = md.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer nofollow")
    return mark_safe(clean)  # sanitised by nh3 just above
