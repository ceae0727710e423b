"""The JSON body a receiver gets, built from one outbox row, and its signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def _object_id(value: str) -> int | str:
    return int(value) if value.isascii() and value.isdigit() else value


def build_payload(event) -> dict[str, Any]:
    """``{"id", "type", "created_at", "object": {"type", "id"}, "actor", "changes", "data"}`` of an outbox row.

    The event's payload goes out as stored (objects as ids): subscriptions belong to administrators, who see
    every record.
    """
    actor = event.actor
    stored = event.payload or {}
    return {
        "id": event.pk,
        "type": event.verb,
        "created_at": event.created_at.isoformat(),
        "object": {"type": event.target_type.rpartition(".")[2].lower(), "id": _object_id(event.target_id)},
        "actor": None if actor is None else {"id": actor.pk, "username": actor.username,
                                             "name": actor.get_full_name() or actor.username},
        "changes": stored.get("changes", {}),
        "data": stored.get("data", {}),
    }


def encode_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the subscription's secret>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"
