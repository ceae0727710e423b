"""The bell's unread count for the top bar: counted only when a page renders it (one COUNT query)."""

from __future__ import annotations

from functools import partial

from voronka.automation.selectors import unread_count


def notifications(request) -> dict:
    user = getattr(request, "user", None)
    # A callable: the template calls it where it renders the bell, so pages without the top bar count nothing.
    return {"unread_notifications": partial(unread_count, actor=user)}
