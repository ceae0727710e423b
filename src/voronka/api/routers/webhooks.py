"""Outgoing webhooks (administrators only): subscriptions, their delivery log, replay, test event, secret."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from voronka.integrations.selectors import (
    deliverable_verbs,
    get_delivery,
    get_subscription,
    list_deliveries,
    list_subscriptions,
)
from voronka.integrations.services import (
    create_subscription,
    delete_subscription,
    pause_subscription,
    replay_delivery,
    resume_subscription,
    rotate_secret,
    send_test_event,
    update_subscription,
)

from ..pagination import Page, paginate
from ..schemas import ERRORS, Cursor, Id, Limit

router = Router(tags=["webhooks"])

Url = Annotated[str, Field(max_length=500, description="http:// or https://")]
Verbs = Annotated[list[Annotated[str, Field(max_length=64)]],
                  Field(max_length=50, description='Event types (`GET /webhooks/events`), or `["*"]` for all.')]
DeliveryStatusName = Literal["pending", "failed", "delivered", "dead"]


class WebhookIn(Schema):
    name: Annotated[str, Field(max_length=120)]
    target_url: Url
    event_types: Verbs
    is_active: bool = True


class WebhookPatch(Schema):
    name: Annotated[str, Field(max_length=120)] | None = None
    target_url: Url | None = None
    event_types: Verbs | None = None
    is_active: bool | None = Field(None, description="false pauses, true resumes.")


class WebhookOut(Schema):
    id: int
    name: str
    target_url: str
    event_types: list[str]
    is_active: bool
    consecutive_failures: int
    paused_at: dt.datetime | None
    pause_reason: str
    created_at: dt.datetime


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="Shown here only: on creation and after a rotation.")


class DeliveryOut(Schema):
    id: int
    webhook: int
    event_id: int
    event_type: str
    status: DeliveryStatusName
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_response_ms: int | None
    last_error: str
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    payload: dict[str, Any]


class EventTypeOut(Schema):
    type: str


def webhook_out(s, *, secret: bool = False) -> dict[str, Any]:
    out = {"id": s.pk, "name": s.name, "target_url": s.target_url, "event_types": list(s.event_types),
           "is_active": s.is_active, "consecutive_failures": s.consecutive_failures, "paused_at": s.paused_at,
           "pause_reason": s.pause_reason, "created_at": s.created_at}
    if secret:
        out["secret"] = s.secret
    return out


def delivery_out(d) -> dict[str, Any]:
    return {"id": d.pk, "webhook": d.subscription_id, "event_id": d.event_id, "event_type": d.event_type,
            "status": d.status, "attempts": d.attempts, "next_attempt_at": d.next_attempt_at,
            "last_attempt_at": d.last_attempt_at, "last_status_code": d.last_status_code,
            "last_response_ms": d.last_response_ms, "last_error": d.last_error, "delivered_at": d.delivered_at,
            "created_at": d.created_at, "payload": d.payload}


def _webhook(request: HttpRequest, webhook_id: int):
    return get_subscription(actor=request.auth, subscription_id=webhook_id)


@router.get("/webhooks/events", response={200: list[EventTypeOut], **ERRORS}, summary="Event types",
            description="The event types a webhook may subscribe to.")
def webhooks_events(request: HttpRequest):
    return [{"type": verb} for verb in deliverable_verbs(actor=request.auth)]


@router.get("/webhooks", response={200: Page[WebhookOut], **ERRORS}, summary="List webhooks")
def webhooks_list(request: HttpRequest, limit: Limit = 50, cursor: Cursor | None = None):
    rows, next_url = paginate(request, list_subscriptions(actor=request.auth), limit=limit, cursor=cursor,
                              descending=False)
    return {"items": [webhook_out(s) for s in rows], "next": next_url}


@router.post("/webhooks", response={201: WebhookWithSecret, **ERRORS}, summary="Create a webhook",
             description="The answer carries the signing `secret`, shown only here (and on rotation).")
def webhooks_create(request: HttpRequest, payload: WebhookIn):
    subscription = create_subscription(actor=request.auth, **payload.model_dump())
    return Status(201, webhook_out(subscription, secret=True))


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Get a webhook")
def webhooks_get(request: HttpRequest, webhook_id: Id):
    return webhook_out(_webhook(request, webhook_id))


@router.patch("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Update a webhook",
              description="Only the fields sent change; `is_active` pauses or resumes.")
def webhooks_update(request: HttpRequest, webhook_id: Id, payload: WebhookPatch):
    subscription = _webhook(request, webhook_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    is_active = data.pop("is_active", None)
    if data:
        subscription = update_subscription(actor=request.auth, subscription=subscription, **data)
    if is_active is False:
        subscription = pause_subscription(actor=request.auth, subscription=subscription)
    elif is_active is True:
        subscription = resume_subscription(actor=request.auth, subscription=subscription)
    return webhook_out(subscription)


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a webhook",
               description="Its delivery log goes with it.")
def webhooks_delete(request: HttpRequest, webhook_id: Id):
    delete_subscription(actor=request.auth, subscription=_webhook(request, webhook_id))
    return Status(204, None)


@router.post("/webhooks/{webhook_id}/rotate-secret", response={200: WebhookWithSecret, **ERRORS},
             summary="Rotate the secret", description="The old secret stops signing at once.")
def webhooks_rotate(request: HttpRequest, webhook_id: Id):
    return webhook_out(rotate_secret(actor=request.auth, subscription=_webhook(request, webhook_id)), secret=True)


@router.post("/webhooks/{webhook_id}/test", response={202: DeliveryOut, **ERRORS}, summary="Send a test event",
             description="A `webhook.test` event to this webhook only; follow it in the delivery log.")
def webhooks_test(request: HttpRequest, webhook_id: Id):
    return Status(202, delivery_out(send_test_event(actor=request.auth, subscription=_webhook(request, webhook_id))))


@router.get("/webhooks/{webhook_id}/deliveries", response={200: Page[DeliveryOut], **ERRORS},
            summary="The delivery log", description="Newest first.")
def webhooks_deliveries(request: HttpRequest, webhook_id: Id, status: DeliveryStatusName | None = None,
                        limit: Limit = 50, cursor: Cursor | None = None):
    qs = list_deliveries(actor=request.auth, subscription=_webhook(request, webhook_id), status=status)
    rows, next_url = paginate(request, qs, limit=limit, cursor=cursor)
    return {"items": [delivery_out(d) for d in rows], "next": next_url}


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/replay", response={202: DeliveryOut, **ERRORS},
             summary="Send a delivery again", description="Same event id (receivers dedupe), fresh attempts.")
def webhooks_replay(request: HttpRequest, webhook_id: Id, delivery_id: Id):
    subscription = _webhook(request, webhook_id)
    delivery = get_delivery(actor=request.auth, delivery_id=delivery_id, subscription=subscription)
    return Status(202, delivery_out(replay_delivery(actor=request.auth, delivery=delivery)))
