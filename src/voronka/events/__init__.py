"""Domain events: the audit entry and an outbox row per service write, dispatched to handlers after commit."""
