"""Dispatch of outbox rows to their handlers: once per row, retried while it stays undispatched."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from voronka.events.models import OutboxEvent
from voronka.events.registry import handlers_for

logger = logging.getLogger(__name__)

RETRY_GRACE = dt.timedelta(minutes=1)  # younger rows still have their own task in the queue


def dispatch_event(event_id: int) -> bool:
    """Run the handlers of one pending event and mark it dispatched; True when this call dispatched it.

    Idempotent: a dispatched row (or one another worker holds locked) is left alone. The handlers and the
    mark commit together; when a handler raises, its writes roll back, the row stays pending with
    ``attempts`` and ``last_error`` updated, and the retry pass takes it again.
    """
    with transaction.atomic():
        event = (OutboxEvent.objects.select_for_update(skip_locked=True)
                 .filter(pk=event_id, dispatched_at=None).first())
        if event is None:
            return False
        event.attempts += 1
        try:
            with transaction.atomic():
                for handler in handlers_for(event.verb):
                    handler(event)
        except Exception as exc:  # a failing handler must not lose the event: record it and retry later
            event.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
            event.save(update_fields=["attempts", "last_error"])
            logger.warning("event dispatch failed", extra={"event_id": event.pk, "verb": event.verb,
                                                           "attempts": event.attempts})
            return False
        event.dispatched_at = timezone.now()
        event.last_error = ""
        event.save(update_fields=["attempts", "last_error", "dispatched_at"])
        return True


def pending_events(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Ids of rows that should have been dispatched by now (older than the grace period, attempts left)."""
    now = now or timezone.now()
    return list(OutboxEvent.objects.filter(
        dispatched_at=None, created_at__lte=now - RETRY_GRACE,
        attempts__lt=settings.VORONKA_OUTBOX_MAX_ATTEMPTS,
    ).order_by("id").values_list("pk", flat=True)[:limit])


def dispatch_pending(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """The retry pass (``voronka tick``): dispatch what a crashed worker or a failed handler left behind."""
    done = sum(dispatch_event(event_id) for event_id in pending_events(now=now, limit=limit))
    if done:
        logger.info("pending events dispatched", extra={"count": done})
    return done
