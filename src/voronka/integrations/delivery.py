"""Sending webhook deliveries: claim a row (a lease), POST it signed, record the answer, retry with backoff.

At-least-once: a row is claimed by a conditional ``UPDATE`` (after ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL) that sets ``claimed_until``; only the worker whose update changed the row sends it, so two
workers never send one row at once. A worker that dies after the claim leaves the lease to expire, and the
tick pass (``voronka tick``) sends the row again: the receiver dedupes on the event id.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.services import get_system_actor
from voronka.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from voronka.integrations.payload import encode_body, sign
from voronka.integrations.services import pause_subscription

logger = logging.getLogger(__name__)

WAITING = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
LEASE_MARGIN = dt.timedelta(seconds=60)
USER_AGENT = "Voronka-Webhooks/1"


def timeout_seconds() -> float:
    return float(settings.VORONKA_WEBHOOK_TIMEOUT_SECONDS)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 ... minutes, capped."""
    minutes = min(2 ** max(attempts - 1, 0), settings.VORONKA_WEBHOOK_BACKOFF_CAP_MINUTES)
    return dt.timedelta(minutes=minutes)


def _due_q(now: dt.datetime) -> Q:
    return (Q(status__in=WAITING, next_attempt_at__lte=now)
            & (Q(claimed_until=None) | Q(claimed_until__lt=now)))


def claim(delivery_id: int, *, now: dt.datetime) -> WebhookDelivery | None:
    """Take one due row for sending (``attempts`` + 1, a lease); None when it is not due or another worker
    holds it, or its subscription is paused."""
    lease = now + dt.timedelta(seconds=timeout_seconds()) + LEASE_MARGIN
    with transaction.atomic():
        row = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(_due_q(now), pk=delivery_id).select_related("subscription").first())
        if row is None or not row.subscription.is_active:
            return None
        # the same conditions again, in the UPDATE itself: on SQLite (no row locks) the writer that comes
        # second finds the lease taken and changes nothing
        taken = WebhookDelivery.objects.filter(_due_q(now), pk=delivery_id).update(
            claimed_until=lease, attempts=F("attempts") + 1, last_attempt_at=now)
        if taken != 1:
            return None
    row.refresh_from_db(fields=["attempts", "claimed_until", "last_attempt_at"])
    return row


def send(delivery: WebhookDelivery) -> tuple[int | None, int, str]:
    """POST the payload, signed; ``(status code or None, milliseconds, error text)``. Never raises."""
    subscription = delivery.subscription
    body = encode_body(delivery.payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Voronka-Event": delivery.event_type,
        "X-Voronka-Event-Id": str(delivery.event_id),
        "X-Voronka-Delivery": str(delivery.pk),
        "X-Voronka-Timestamp": timestamp,
        "X-Voronka-Signature": sign(subscription.secret, timestamp, body),
    }
    started = time.monotonic()
    code, error = None, ""
    try:
        with requests.Session() as session:
            session.trust_env = False  # no proxy or .netrc from the environment: the URL is the admin's choice
            with session.post(subscription.target_url, data=body, headers=headers, timeout=timeout_seconds(),
                              allow_redirects=False, stream=True) as response:
                code = response.status_code
                response.raw.read(64 * 1024)  # the answer's start only; its content is not used
    except requests.Timeout:
        error = f"timeout after {timeout_seconds():g} s"
    except requests.RequestException as exc:
        error = f"{exc.__class__.__name__}: {exc}"
    elapsed = int((time.monotonic() - started) * 1000)
    if code is not None and not 200 <= code < 300:
        error = f"HTTP {code}"
    return code, elapsed, error[:2000]


def finish(delivery: WebhookDelivery, *, code: int | None, elapsed_ms: int, error: str,
           now: dt.datetime) -> WebhookDelivery:
    """Record one attempt: delivered, or failed with the next attempt scheduled, or dead; a subscription
    that failed ``VORONKA_WEBHOOK_PAUSE_AFTER`` times in a row pauses itself (with an audit entry)."""
    ok = code is not None and 200 <= code < 300 and not error
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().filter(pk=delivery.subscription_id).first()
        row = WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk).first()
        if subscription is None or row is None:  # deleted while the request was out: nothing to record
            return delivery
        row.last_status_code, row.last_response_ms, row.claimed_until = code, elapsed_ms, None
        if ok:
            row.status, row.delivered_at, row.last_error, row.next_attempt_at = (
                DeliveryStatus.DELIVERED, now, "", None)
            subscription.consecutive_failures = 0
        else:
            row.last_error = error
            if row.attempts >= settings.VORONKA_WEBHOOK_MAX_ATTEMPTS:
                row.status, row.next_attempt_at = DeliveryStatus.DEAD, None
            else:
                row.status, row.next_attempt_at = DeliveryStatus.FAILED, now + backoff(row.attempts)
            subscription.consecutive_failures += 1
        row.save(update_fields=["status", "delivered_at", "last_error", "next_attempt_at", "last_status_code",
                                "last_response_ms", "claimed_until"])
        subscription.save(update_fields=["consecutive_failures"])
        limit = settings.VORONKA_WEBHOOK_PAUSE_AFTER
        if not ok and subscription.is_active and limit > 0 and subscription.consecutive_failures >= limit:
            reason = _("%(n)s failed attempts in a row; the last one: %(error)s") % {
                "n": subscription.consecutive_failures, "error": error}
            pause_subscription(actor=get_system_actor(), subscription=subscription, reason=reason)
    log = logger.info if ok else logger.warning
    log("webhook attempt", extra={"delivery_id": row.pk, "webhook_id": subscription.pk, "status": row.status,
                                  "code": code, "ms": elapsed_ms})
    return row


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> str | None:
    """Claim, send and record one delivery; its new status, or None when it was not ours to send."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now=now)
    if delivery is None:
        return None
    code, elapsed, error = send(delivery)
    return finish(delivery, code=code, elapsed_ms=elapsed, error=error, now=max(now, timezone.now())).status


def due_deliveries(*, now: dt.datetime, limit: int = 500) -> list[int]:
    return list(WebhookDelivery.objects.filter(_due_q(now), subscription__is_active=True)
                .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The tick pass: send every due delivery (new ones a task never sent, retries, expired leases)."""
    now = now or timezone.now()
    sent = 0
    for delivery_id in due_deliveries(now=now, limit=limit):
        if deliver(delivery_id, now=now) is not None:
            sent += 1
    return sent
