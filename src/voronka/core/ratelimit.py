"""Fixed-window counters in the shared cache (Redis in production), for rate limits across web processes."""

from __future__ import annotations

import time

from django.core.cache import cache


def count_hit(bucket: str, *, window_seconds: int, now: float | None = None) -> tuple[int, float]:
    """Count one hit of ``bucket`` in the current window; returns the count so far and the seconds left."""
    now = time.time() if now is None else now
    window = int(now // window_seconds)
    key = f"rate:{bucket}:{window}"
    if cache.add(key, 1, timeout=window_seconds * 2):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_seconds * 2)
            count = 1
    return count, (window + 1) * window_seconds - now
