"""The Russian catalogue is complete and the compiled one matches it (a new string without a translation fails)."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "src" / "voronka" / "locale" / "ru" / "LC_MESSAGES"


_ESCAPES = {"n": "\n", "t": "\t"}


def _msgids(po_text: str) -> set[str]:
    """The msgids of a .po file (each a C string literal, possibly over several lines)."""
    ids = set()
    for block in re.findall(r'^msgid ((?:".*"\n)+)', po_text, flags=re.M):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', block)
        text = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), "".join(parts))
        if text:
            ids.add(text)
    return ids


def test_every_message_has_a_russian_translation():
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed: apt-get install gettext")
    result = subprocess.run([msgfmt, "--check", "--statistics", "-o", "/dev/null", str(LOCALE / "django.po")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_the_compiled_catalogue_is_current():
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = compiled._catalog  # the only way to list a compiled catalogue's messages
    keys = [key[0] if isinstance(key, tuple) else key for key in catalog]
    known = {key.split("\x04")[-1] for key in keys}  # "context\x04msgid" for messages with a context
    missing = sorted(_msgids((LOCALE / "django.po").read_text(encoding="utf-8")) - known)
    assert not missing, f"django.mo is older than django.po (make locale): {missing[:5]}"
