"""The top bar's task counters (overdue, today), counted only where the top bar renders them."""

from __future__ import annotations

from functools import partial

from voronka.activities.selectors import my_task_counters


def _counters(user) -> dict[str, int]:
    if user is None or not user.is_authenticated:
        return {"overdue": 0, "today": 0}
    return my_task_counters(actor=user)


def task_counters(request) -> dict:
    # A callable, as the bell's count: resolved (one aggregate query) only by a template that shows it.
    return {"task_counters": partial(_counters, getattr(request, "user", None))}
