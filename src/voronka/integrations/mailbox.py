"""Mailbox capture: ``voronka tick`` reads the unseen messages of an IMAP mailbox. A message from a known client
(his or a contact's email) goes on his timeline (and his open deal's) and to his manager (a task to answer,
unless one is open); one from an unknown sender becomes a
lead through quick add's ``create_lead`` (client, deal in the configured pipeline, first task) with the email
on its timeline. The Message-ID makes a message read twice a no-op; a message is marked seen once taken.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import email.utils
import hashlib
import imaplib
import logging
from email.message import EmailMessage

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.services import get_system_actor
from voronka.activities.models import ActivityKind, Task, TaskKind, TaskStatus
from voronka.activities.services import create_task, log_activity
from voronka.clients.normalize import normalize_email
from voronka.clients.selectors import find_duplicates
from voronka.core.errors import DomainError
from voronka.deals.leads import create_lead
from voronka.events.services import record_event
from voronka.integrations.connectors import MailboxConfig, mailbox_config
from voronka.integrations.leadforms import pick_assignee
from voronka.integrations.models import AssignMode, MailboxSettings, MailMessage
from voronka.integrations.telephony import can_own, lead_pipeline, open_deal, user_named

logger = logging.getLogger(__name__)

BODY_LIMIT = 10_000


class MailSkipped(DomainError):
    """A message that is not a lead (no usable sender, an auto-reply, our own): marked seen and logged."""


class MailNotReady(DomainError):
    """The installation cannot take leads yet (no pipeline or manager): the message stays unseen."""


def _message_id(msg: EmailMessage, raw: bytes) -> str:
    value = str(msg.get("Message-ID") or "").strip()
    return value[:255] if value else "sha256:" + hashlib.sha256(raw).hexdigest()


def _text(msg: EmailMessage) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
    except (LookupError, KeyError, ValueError, UnicodeError):
        return ""
    if part.get_content_subtype() == "html":
        content = strip_tags(content)
    return "\n".join(line.rstrip() for line in str(content).strip().splitlines())[:BODY_LIMIT]


def _sent_at(msg: EmailMessage):
    try:
        value = email.utils.parsedate_to_datetime(str(msg.get("Date") or ""))
    except (TypeError, ValueError, IndexError):
        return timezone.now()
    if value is None:
        return timezone.now()
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return min(value, timezone.now())


def take_message(raw: bytes, config: MailboxConfig | None = None) -> MailMessage | None:
    """Take one raw message (RFC 5322); ``None`` when it was taken before. Raises ``MailSkipped`` or
    ``MailNotReady``."""
    config = config or mailbox_config()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    message_id = _message_id(msg, raw)
    if MailMessage.objects.filter(message_id=message_id).exists():
        return None
    if str(msg.get("Auto-Submitted") or "no").strip().lower() != "no":
        raise MailSkipped(_("An automatic message."), code="auto_submitted")
    name, address = email.utils.parseaddr(str(msg.get("From") or ""))
    try:
        address = normalize_email(address, field="from")
    except DomainError as exc:
        raise MailSkipped(exc.message, field="from", code="bad_sender") from exc
    if not address or address == normalize_email_or_blank(config.username):
        raise MailSkipped(_("No sender address."), field="from", code="bad_sender")
    subject = " ".join(str(msg.get("Subject") or "").split())[:255]
    try:
        with transaction.atomic():
            return _record(message_id=message_id, address=address, name=" ".join(name.split())[:200],
                           subject=subject, body=_text(msg), at=_sent_at(msg), config=config)
    except IntegrityError:  # taken by another worker meanwhile
        if MailMessage.objects.filter(message_id=message_id).exists():
            return None
        raise


def normalize_email_or_blank(value: str) -> str:
    try:
        return normalize_email(value or "")
    except DomainError:
        return ""


def _answer_task(system, client, deal) -> None:
    """The email reaches the client's manager: a task "answer the email" due today, unless one is open."""
    assignee = client.responsible if can_own(client.responsible) else (deal.owner if deal else None)
    if not can_own(assignee):
        return
    waiting = Task.objects.filter(status=TaskStatus.OPEN, kind=TaskKind.EMAIL, assignee=assignee,
                                  **({"deal": deal} if deal else {"client": client, "deal__isnull": True}))
    if not waiting.exists():
        create_task(actor=system, deal=deal, client=None if deal else client, title=_("Answer the email"),
                    kind=TaskKind.EMAIL, due_date=timezone.localdate(), assignee=assignee)


def _lead_owner(config: MailboxConfig) -> User | None:
    """The fixed manager (the page's, else ``VORONKA_MAIL_ASSIGNEE``), or the team's next one in turn or the
    least loaded (the same rule as web forms)."""
    if config.assign_mode == AssignMode.FIXED:
        return config.assignee if config.assignee is not None else user_named(config.assignee_name)
    row = MailboxSettings.objects.order_by("pk").first()  # the turn is locked by ``next_member``
    if row is None:
        return None
    try:
        return pick_assignee(row)
    except DomainError:
        return None


def _lead_pipeline(config: MailboxConfig):
    if config.pipeline is not None:
        return config.pipeline if config.pipeline.is_active else None
    return lead_pipeline(config.pipeline_slug)


def _record(*, message_id: str, address: str, name: str, subject: str, body: str, at,
            config: MailboxConfig) -> MailMessage:
    message = MailMessage.objects.create(message_id=message_id, sender=address, subject=subject)
    system = get_system_actor()
    known = find_duplicates(email=address, limit=1)
    if known:
        client = known[0]
        deal = open_deal(client)
        _answer_task(system, client, deal)
    else:
        owner = _lead_owner(config)
        pipeline = _lead_pipeline(config)
        if not can_own(owner) or pipeline is None:
            raise MailNotReady(_("Choose the manager and an active pipeline in Settings › Mailbox to take leads "
                                 "from email."), code="not_configured")
        title = subject or _("Email from %(sender)s") % {"sender": address}
        deal = create_lead(actor=system, client={"kind": "person", "name": name or address, "email": address,
                                                 "responsible": owner},
                           deal={"pipeline": pipeline, "title": title[:255]},
                           task={"title": _("Answer the email"), "kind": "email", "due_date": timezone.localdate()},
                           owner=owner, allow_duplicate=True)
        client = deal.client
        message.new_lead = True
    text = "\n\n".join(part for part in (subject, body) if part) or _("(an empty message)")
    data = {"message_id": message_id, "from": address, "subject": subject, "mail": message.pk}
    entry = log_activity(kind=ActivityKind.EMAIL, author=system, deal=deal, client=client, body=text, data=data,
                         at=at)
    message.client, message.deal = client, deal
    message.save(update_fields=["client", "deal", "new_lead"])
    record_event(actor=system, verb="email.received", target=entry,
                 data={**data, "client": client.pk, "deal": getattr(deal, "pk", None), "new_lead": message.new_lead})
    logger.info("email taken", extra={"mail_id": message.pk, "client_id": client.pk, "new_lead": message.new_lead})
    return message


def _connect(config: MailboxConfig) -> imaplib.IMAP4:
    timeout = settings.VORONKA_IMAP_TIMEOUT_SECONDS
    if config.use_ssl:
        return imaplib.IMAP4_SSL(config.host, config.port, timeout=timeout)
    return imaplib.IMAP4(config.host, config.port, timeout=timeout)


def poll_mailbox() -> int:
    """One pass over the unseen messages (at most ``VORONKA_IMAP_BATCH``): how many were taken. A mailbox
    that is not configured or cannot be reached is logged and skipped (the next tick tries again)."""
    config = mailbox_config()
    if not config.enabled or not config.host:
        return 0
    taken = 0
    try:
        conn = _connect(config)
    except (OSError, imaplib.IMAP4.error) as exc:
        logger.warning("mailbox unreachable", extra={"error": str(exc)[:200]})
        return 0
    try:
        conn.login(config.username, config.password)
        status, _data = conn.select(config.folder)
        if status != "OK":
            logger.warning("mailbox folder missing", extra={"folder": config.folder})
            return 0
        status, found = conn.uid("SEARCH", None, "UNSEEN")
        uids = found[0].split()[: settings.VORONKA_IMAP_BATCH] if status == "OK" and found and found[0] else []
        for uid in uids:
            status, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts or [] if isinstance(p, tuple)), None) if status == "OK" else None
            if raw is None:
                continue
            try:
                if take_message(raw, config) is not None:
                    taken += 1
            except MailNotReady as exc:
                logger.warning("mailbox lead not taken", extra={"reason": exc.message})
                continue  # stays unseen until the installation is set up
            except DomainError as exc:
                logger.info("mailbox message skipped", extra={"uid": uid.decode(), "reason": exc.code})
            conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    except (OSError, imaplib.IMAP4.error) as exc:
        logger.warning("mailbox pass failed", extra={"error": str(exc)[:200]})
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()
    return taken
