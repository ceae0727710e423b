"""Background jobs of the integrations app."""

from __future__ import annotations

from django_tasks import task

from voronka.integrations.delivery import deliver


@task()
def deliver_webhook(delivery_id: int) -> str | None:
    """Send one webhook delivery (enqueued on commit of the outbox dispatch that created it)."""
    return deliver(delivery_id)
