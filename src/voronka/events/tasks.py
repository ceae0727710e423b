"""Background jobs of the events app."""

from __future__ import annotations

from django_tasks import task

from voronka.events.dispatch import dispatch_event


@task()
def dispatch_outbox_event(event_id: int) -> bool:
    """Dispatch one outbox row (enqueued on commit of the write that recorded it)."""
    return dispatch_event(event_id)
