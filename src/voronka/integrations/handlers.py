"""Outbox handler: each deliverable event becomes one delivery per active subscription that wants it.

It runs in the dispatch transaction, so the delivery rows commit with the "dispatched" mark (or roll back
with it); the HTTP requests happen later, in their own task (``integrations.tasks.deliver_webhook``) or in
the tick pass. Registered on the deliverable verbs (``WEBHOOK_VERBS``), not on every event: sign-ins,
tokens and settings changes never leave the installation, and need no dispatch.
"""

from __future__ import annotations

from voronka.events.registry import handles
from voronka.integrations.models import WEBHOOK_VERBS
from voronka.integrations.services import queue_deliveries


@handles(*WEBHOOK_VERBS)
def queue_webhook_deliveries(event) -> None:
    queue_deliveries(event=event)
