"""Writes of webhook subscriptions and deliveries (administrators only); every write is audited."""

from __future__ import annotations

import logging
import secrets
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.permissions import require_perm
from voronka.audit.services import diff
from voronka.core.errors import DomainError
from voronka.events.services import record_event
from voronka.integrations.models import (
    ALL_VERBS,
    TEST_VERB,
    WEBHOOK_VERBS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from voronka.integrations.payload import build_payload
from voronka.integrations.selectors import active_subscriptions_for

logger = logging.getLogger(__name__)

_url_validator = URLValidator(schemes=["http", "https"])


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _clean_name(name: Any) -> str:
    name = str(name or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    if len(name) > 120:
        raise DomainError(_("At most %(n)s characters.") % {"n": 120}, field="name")
    return name


def _clean_url(url: Any) -> str:
    url = str(url or "").strip()
    if not url:
        raise DomainError(_("Enter the URL that receives the events."), field="target_url")
    if len(url) > 500:
        raise DomainError(_("At most %(n)s characters.") % {"n": 500}, field="target_url")
    try:
        _url_validator(url)
    except ValidationError as exc:
        raise DomainError(_("Enter an http:// or https:// URL."), field="target_url") from exc
    return url


def _clean_events(event_types: Any) -> list[str]:
    if isinstance(event_types, str) or not isinstance(event_types, list | tuple | set | frozenset):
        raise DomainError(_("Choose the events to send."), field="event_types")
    chosen: list[str] = []
    for verb in event_types:
        if not isinstance(verb, str) or (verb != ALL_VERBS and verb not in WEBHOOK_VERBS):
            raise DomainError(_("Unknown event type: %(verb)s.") % {"verb": str(verb)[:64]}, field="event_types")
        if verb not in chosen:
            chosen.append(verb)
    if not chosen:
        raise DomainError(_("Choose the events to send."), field="event_types")
    return [ALL_VERBS] if ALL_VERBS in chosen else sorted(chosen)


@transaction.atomic
def create_subscription(*, actor, name: str, target_url: str, event_types: list[str],
                        is_active: bool = True) -> WebhookSubscription:
    """A new subscription with a fresh secret (shown to the administrator once, by the caller)."""
    require_perm(actor, "configure")
    subscription = WebhookSubscription(
        name=_clean_name(name), target_url=_clean_url(target_url), event_types=_clean_events(event_types),
        secret=new_secret(), is_active=bool(is_active), created_by=actor if getattr(actor, "pk", None) else None,
        paused_at=None if is_active else timezone.now(),
        pause_reason="" if is_active else _("Created paused."),
    )
    subscription.save()
    record_event(actor=actor, verb="webhook.created", target=subscription,
                 data={"target_url": subscription.target_url, "event_types": subscription.event_types})
    logger.info("webhook created", extra={"webhook_id": subscription.pk})
    return subscription


@transaction.atomic
def update_subscription(*, actor, subscription: WebhookSubscription, **fields) -> WebhookSubscription:
    """Change the name, URL or event types (``is_active`` goes through pause/resume)."""
    require_perm(actor, "configure")
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    unknown = set(fields) - {"name", "target_url", "event_types"}
    if unknown:
        raise DomainError(_("Unknown field: %(field)s.") % {"field": sorted(unknown)[0]}, field=sorted(unknown)[0])
    before = {f: getattr(subscription, f) for f in ("name", "target_url", "event_types")}
    if "name" in fields:
        subscription.name = _clean_name(fields["name"])
    if "target_url" in fields:
        subscription.target_url = _clean_url(fields["target_url"])
    if "event_types" in fields:
        subscription.event_types = _clean_events(fields["event_types"])
    changes = diff(subscription, before, before.keys())
    if changes:
        subscription.save(update_fields=[*changes, "updated_at"])
        record_event(actor=actor, verb="webhook.updated", target=subscription, changes=changes)
    return subscription


@transaction.atomic
def delete_subscription(*, actor, subscription: WebhookSubscription) -> None:
    require_perm(actor, "configure")
    record_event(actor=actor, verb="webhook.deleted", target=subscription,
                 data={"name": subscription.name, "target_url": subscription.target_url})
    WebhookSubscription.objects.filter(pk=subscription.pk).delete()


@transaction.atomic
def rotate_secret(*, actor, subscription: WebhookSubscription) -> WebhookSubscription:
    """A new secret; the old one stops signing at once (the caller shows the new one once)."""
    require_perm(actor, "configure")
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    record_event(actor=actor, verb="webhook.secret_rotated", target=subscription)
    return subscription


@transaction.atomic
def pause_subscription(*, actor, subscription: WebhookSubscription, reason: str = "") -> WebhookSubscription:
    """Stop sending (deliveries wait); the audit trail and the subscription page show the reason."""
    require_perm(actor, "configure")
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not subscription.is_active:
        return subscription
    subscription.is_active = False
    subscription.paused_at = timezone.now()
    subscription.pause_reason = (str(reason or "").strip() or _("Paused by an administrator."))[:500]
    subscription.save(update_fields=["is_active", "paused_at", "pause_reason", "updated_at"])
    record_event(actor=actor, verb="webhook.paused", target=subscription, changes={"is_active": (True, False)},
                 data={"reason": subscription.pause_reason,
                       "consecutive_failures": subscription.consecutive_failures})
    logger.warning("webhook paused", extra={"webhook_id": subscription.pk})
    return subscription


@transaction.atomic
def resume_subscription(*, actor, subscription: WebhookSubscription) -> WebhookSubscription:
    """Send again: the failure counter restarts and the deliveries that waited are due now."""
    require_perm(actor, "configure")
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.is_active:
        return subscription
    now = timezone.now()
    subscription.is_active = True
    subscription.paused_at = None
    subscription.pause_reason = ""
    subscription.consecutive_failures = 0
    subscription.save(update_fields=["is_active", "paused_at", "pause_reason", "consecutive_failures",
                                     "updated_at"])
    waiting = WebhookDelivery.objects.filter(subscription=subscription,
                                             status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
    waiting.update(next_attempt_at=now, claimed_until=None)
    record_event(actor=actor, verb="webhook.resumed", target=subscription, changes={"is_active": (False, True)})
    for delivery_id in waiting.values_list("pk", flat=True)[:500]:
        transaction.on_commit(partial(enqueue_delivery, delivery_id))
    return subscription


@transaction.atomic
def replay_delivery(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (whatever its status), with a fresh count of attempts; same event id."""
    require_perm(actor, "configure")
    delivery = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if not delivery.subscription.is_active:
        raise DomainError(_("The webhook is paused: resume it first."), code="webhook_paused")
    previous = delivery.status
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.claimed_until = None
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until"])
    record_event(actor=actor, verb="webhook.replayed", target=delivery.subscription,
                 data={"delivery": delivery.pk, "event": delivery.event_id, "previous_status": previous})
    transaction.on_commit(partial(enqueue_delivery, delivery.pk))
    return delivery


@transaction.atomic
def send_test_event(*, actor, subscription: WebhookSubscription) -> WebhookDelivery:
    """A ``webhook.test`` event to this subscription only, delivered like any other."""
    require_perm(actor, "configure")
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not subscription.is_active:
        raise DomainError(_("The webhook is paused: resume it first."), code="webhook_paused")
    event = record_event(actor=actor, verb=TEST_VERB, target=subscription,
                         data={"message": "Test event from Voronka", "webhook": subscription.pk})
    delivery = _new_delivery(subscription, event)
    transaction.on_commit(partial(enqueue_delivery, delivery.pk))
    return delivery


def _new_delivery(subscription: WebhookSubscription, event) -> WebhookDelivery:
    delivery, _created = WebhookDelivery.objects.get_or_create(
        subscription=subscription, event_id=event.pk,
        defaults={"event_type": event.verb, "payload": build_payload(event), "next_attempt_at": timezone.now()})
    return delivery


def queue_deliveries(*, event) -> list[WebhookDelivery]:
    """One delivery per active subscription that wants the event, written in the caller's transaction (the
    outbox dispatch); sending is enqueued after its commit. Called by the ``handlers`` module only."""
    deliveries = [_new_delivery(subscription, event) for subscription in active_subscriptions_for(event.verb)]
    for delivery in deliveries:
        transaction.on_commit(partial(enqueue_delivery, delivery.pk))
    return deliveries


def queue_delivery_to(*, subscription: WebhookSubscription, event) -> WebhookDelivery:
    """One delivery of ``event`` to one subscription whatever its event types (a stage's ``webhook`` action),
    in the caller's transaction; once per (subscription, event); sending after commit."""
    delivery = _new_delivery(subscription, event)
    transaction.on_commit(partial(enqueue_delivery, delivery.pk))
    return delivery


def enqueue_delivery(delivery_id: int) -> None:
    """After commit: queue the sending task. A failure here loses nothing: the tick pass sends the row."""
    from voronka.integrations.tasks import deliver_webhook  # tasks -> delivery -> services: import late

    try:
        deliver_webhook.enqueue(delivery_id)
    except Exception:
        logger.exception("webhook enqueue failed", extra={"delivery_id": delivery_id})
