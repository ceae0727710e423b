"""Security headers on every answer, and templates the Content-Security-Policy can allow (no inline script)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

SRC = Path(__file__).resolve().parents[2] / "src" / "voronka"
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
HX_ON = re.compile(r"\shx-on[:-]", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_send_a_strict_content_security_policy(client, world, signed_in):
    if signed_in:
        client.force_login(world.owner)
    response = client.get(reverse("web:my_day") if signed_in else reverse("web:login"))
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_an_inline_handler_or_script():
    offenders = []
    for template in SRC.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_HANDLER, HX_ON, INLINE_SCRIPT):
            offenders += [f"{template.relative_to(SRC)}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    assert not offenders, offenders


def test_the_pattern_catches_what_it_must():
    assert INLINE_HANDLER.search('<select onchange="go()">') and HX_ON.search('<form hx-on::after-request="x">')
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/a.js" defer></script>')
    assert not INLINE_SCRIPT.search('<script id="d" type="application/json">{}</script>')
