"""``record_event``: what every service calls after a write.

It writes the audit entry and an outbox row in the caller's transaction; after commit a task dispatches the
row to the handlers registered with ``@handles(verb)``. A rolled-back write leaves neither, and no task.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from voronka.audit.services import record_audit
from voronka.events.models import OutboxEvent
from voronka.events.registry import handlers_for
from voronka.events.tasks import dispatch_outbox_event

logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    """A value for the payload: objects by primary key, decimals as text, dates in ISO 8601."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def record_event(*, actor, verb: str, target: models.Model, changes: dict[str, tuple[Any, Any]] | None = None,
                 data: dict[str, Any] | None = None) -> OutboxEvent:
    """Record that ``actor`` did ``verb`` to ``target``: audit entries plus one outbox row, atomically.

    ``changes`` maps a field to ``(old, new)`` (audited field by field); ``data`` is extra payload for the
    handlers. An event nobody handles is stored as already dispatched and enqueues nothing.
    """
    with transaction.atomic(savepoint=False):
        record_audit(actor=actor, action=verb, obj=target, changes=changes)
        pending = bool(handlers_for(verb))
        event = OutboxEvent.objects.create(
            verb=verb, target_type=target._meta.label, target_id=str(target.pk),
            actor=actor if getattr(actor, "pk", None) else None,
            payload={"changes": {field: [_jsonable(old), _jsonable(new)] for field, (old, new) in
                                 (changes or {}).items()},
                     "data": _jsonable(data or {})},
            dispatched_at=None if pending else timezone.now(),
        )
        if pending:
            transaction.on_commit(partial(_enqueue, event.pk))
    return event


def _enqueue(event_id: int) -> None:
    """After commit: queue the dispatch. A failure here must not turn a committed write into an error;
    the row stays pending and the retry pass (``voronka tick``) dispatches it."""
    try:
        dispatch_outbox_event.enqueue(event_id)
    except Exception:
        logger.exception("event enqueue failed", extra={"event_id": event_id})
