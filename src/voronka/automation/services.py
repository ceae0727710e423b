"""Writes of the notification centre: notify (scope-checked, once per occurrence), mark read, preferences."""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from voronka.accounts.permissions import is_visible
from voronka.automation.models import Delivery, EventType, Notification, NotificationPreference
from voronka.automation.selectors import delivery_for
from voronka.core.errors import DomainError, NotFound

logger = logging.getLogger(__name__)

TITLE_MAX = 300
BODY_MAX = 5000


def in_language(user):
    """``with in_language(user):`` texts for him in his language (the installation's when he chose none)."""
    return translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE)


def _can_receive(user) -> bool:
    return user is not None and user.pk is not None and user.is_active and not getattr(user, "is_system", False)


def notify(*, recipient, event_type: str, dedupe_key: str, title: str, body: str = "",
           target: models.Model | None = None, link_url: str = "") -> Notification | None:
    """Tell ``recipient`` about one occurrence; the new row, or None when nothing was written.

    Nothing is written for an inactive or system user, for an object outside his scope, or for an occurrence
    he was already told about (``dedupe_key``). The email (when his preference asks for it) is sent after
    commit, and a failing mail server only logs: the in-app row stays.
    """
    if event_type not in EventType.values:
        raise DomainError(_("Unknown event type."), field="event_type")
    if not _can_receive(recipient):
        return None
    if target is not None and not is_visible(recipient, target):
        return None
    if Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists():
        return None
    delivery = delivery_for(user=recipient, event_type=event_type)
    wants_email = delivery in (Delivery.EMAIL, Delivery.BOTH) and bool(recipient.email)
    try:
        with transaction.atomic():  # a concurrent twin (same key) loses quietly
            notification = Notification.objects.create(
                recipient=recipient, event_type=event_type, dedupe_key=dedupe_key[:200], title=title[:TITLE_MAX],
                body=body[:BODY_MAX], link_url=link_url[:500],
                target_type=target._meta.label if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
                in_app=delivery in (Delivery.IN_APP, Delivery.BOTH), email_due=wants_email)
    except IntegrityError:
        return None
    if wants_email:
        transaction.on_commit(partial(send_notification_email, notification.pk))
    logger.info("notification created", extra={"notification_id": notification.pk, "event_type": event_type})
    return notification


def _claim_email(notification_id: int, *, now: dt.datetime) -> bool:
    """Take the row's email for one send (a conditional UPDATE: of two processes, one wins)."""
    lease = now + dt.timedelta(seconds=settings.VORONKA_EMAIL_LEASE_SECONDS)
    return bool(Notification.objects.filter(
        models.Q(email_claimed_until=None) | models.Q(email_claimed_until__lt=now),
        pk=notification_id, email_due=True, emailed_at=None,
        email_attempts__lt=settings.VORONKA_EMAIL_MAX_ATTEMPTS,
    ).update(email_claimed_until=lease, email_attempts=models.F("email_attempts") + 1))


def send_notification_email(notification_id: int, *, now: dt.datetime | None = None) -> bool:
    """Mail one notification to its recipient; True when this call sent it. Never raises (SMTP down, bad
    address): the failure is logged and the row stays due for the retry job (``send_due_emails``).

    At most one process sends a row at a time (the claim); a process killed after the send and before the
    mark would send it again after the lease, so a mail is sent at least once, and twice only then.
    """
    now = now or timezone.now()
    if not _claim_email(notification_id, now=now):
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    user = notification.recipient
    link = f"{settings.VORONKA_BASE_URL.rstrip('/')}{notification.link_url}" if notification.link_url else ""
    with in_language(user):
        body = "\n\n".join(part for part in (notification.body, link) if part)
        subject = _("Voronka: %(title)s") % {"title": notification.title}
    try:
        if not user.email or not user.is_active:
            raise ValueError("the recipient has no email address or is inactive")
        send_mail(subject, body, None, [user.email], fail_silently=False)
    except Exception:  # the mail server's trouble must not undo the notification or the event's dispatch
        logger.exception("notification email failed", extra={"notification_id": notification.pk})
        # Try again after a pause that grows with the attempts (the lease stays as the pause).
        pause = dt.timedelta(minutes=2 ** min(notification.email_attempts, 6))
        Notification.objects.filter(pk=notification.pk).update(email_claimed_until=now + pause)
        return False
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now(), email_due=False,
                                                           email_claimed_until=None)
    return True


def send_due_emails(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The retry job: emails still due a minute after their notification (its send never ran or failed)."""
    now = now or timezone.now()
    ids = list(Notification.objects.filter(
        models.Q(email_claimed_until=None) | models.Q(email_claimed_until__lt=now),
        email_due=True, emailed_at=None, created_at__lte=now - dt.timedelta(minutes=1),
        email_attempts__lt=settings.VORONKA_EMAIL_MAX_ATTEMPTS,
    ).order_by("pk").values_list("pk", flat=True)[:limit])
    return sum(send_notification_email(pk, now=now) for pk in ids)


def mark_read(*, actor, notification_id) -> Notification:
    """Mark one of the actor's notifications read (someone else's is missing: 404)."""
    try:
        notification_id = int(notification_id)
    except (TypeError, ValueError):
        raise NotFound(_("Notification not found.")) from None
    notification = Notification.objects.filter(pk=notification_id, recipient=actor).first()
    if notification is None:
        raise NotFound(_("Notification not found."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, actor) -> int:
    """Mark every unread notification of the actor read; how many."""
    return Notification.objects.filter(recipient=actor, read_at=None).update(read_at=timezone.now())


def offered_event_types(user) -> list[str]:
    """The event types the user may choose a delivery for: only those he can receive, so that no choice
    silently does nothing. Team notices (a lost deal, a deal without a task, a hand-off not taken up) go to a
    team's lead (``Team.lead``); dips to leads and heads; the morning summary to leads, heads and
    administrators; a paused webhook to administrators."""
    from voronka.accounts.models import Role

    role = getattr(user, "role", None)
    leads = role == Role.LEAD or bool(getattr(user, "pk", None) and user.led_teams.exists())
    audience = {
        EventType.DEAL_LOST: leads,
        EventType.DEAL_NO_TASK: leads,
        EventType.HANDOFF_NOT_ACCEPTED: leads,
        EventType.SALES_DIP: role in (Role.LEAD, Role.HEAD),
        EventType.MORNING_SUMMARY: role in (Role.LEAD, Role.HEAD, Role.ADMIN),
        EventType.WEBHOOK_PAUSED: role == Role.ADMIN,
    }
    return [t.value for t in EventType if audience.get(t, True)]


@transaction.atomic
def set_preferences(*, actor, values: dict[str, str]) -> dict[str, str]:
    """Save the actor's delivery per event type; every value is checked before anything is written."""
    errors = {}
    for event_type, delivery in values.items():
        if event_type not in EventType.values:
            errors[event_type] = _("Unknown event type.")
        elif delivery not in Delivery.values:
            errors[event_type] = _("Choose one of the offered ways.")
        elif delivery != Delivery.NONE and event_type not in offered_event_types(actor):
            errors[event_type] = _("These notices are not sent to your role.")
    if errors:
        field, message = next(iter(errors.items()))
        raise DomainError(message, field=field)
    for event_type, delivery in values.items():
        NotificationPreference.objects.update_or_create(user=actor, event_type=event_type,
                                                        defaults={"delivery": delivery})
    return values


def retry_failed_task(*, actor, task_id: str) -> str:
    """An administrator puts a failed task (a dead letter) back in the queue; audited as ``task.retried``."""
    import uuid

    from django_tasks_db.models import DBTaskResult

    from voronka.accounts.permissions import require_perm
    from voronka.automation.worker import retry_task
    from voronka.events.services import record_event

    require_perm(actor, "configure")
    try:
        task_id = str(uuid.UUID(str(task_id)))
    except ValueError:
        raise NotFound(_("Task not found.")) from None
    with transaction.atomic():
        row = DBTaskResult.objects.filter(pk=task_id).first()
        if row is None:
            raise NotFound(_("Task not found."))
        if not retry_task(task_id):
            raise DomainError(_("Only a failed task can be run again."), field="id")
        record_event(actor=actor, verb="task_result.retried", target=row, data={"task": row.task_path})
    return task_id
