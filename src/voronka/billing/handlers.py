"""Billing's event handlers (run after commit by the outbox dispatch)."""

from __future__ import annotations

from voronka.events.registry import handles

from .stage_rules import move_when_paid


@handles("invoice.paid_changed")
def on_invoice_paid_changed(event) -> None:
    """A full payment may move the deal (the pipeline's ``PaidMove``)."""
    move_when_paid(int(event.target_id))
