"""Writes of mailings: templates, sequences and their engine, sends (after commit), clicks, unsubscribes,
renewal and upsell follow-ups. Periodic jobs (``send_due_steps``, ``open_follow_ups``, ``deliver_pending``)
take ``now`` and are idempotent: running them twice for one moment has no second effect."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from email.utils import formataddr
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from voronka.accounts.models import User
from voronka.accounts.permissions import require_perm, require_visible
from voronka.accounts.services import get_system_actor
from voronka.activities.models import ActivityKind
from voronka.activities.services import build_task, log_activity
from voronka.catalog.models import LostReason
from voronka.clients.models import Client
from voronka.core.errors import Conflict, DomainError, NotFound
from voronka.core.validation import NOTES_MAX, check_text
from voronka.deals.models import Deal, DealStatus
from voronka.deals.services import create_deal
from voronka.events.services import record_event
from voronka.mailings import rendering
from voronka.mailings.models import (
    EmailTemplate,
    Enrolment,
    EnrolmentStatus,
    FollowUp,
    Language,
    RenewalRule,
    Send,
    Sequence,
    SequenceKind,
    SequenceStep,
    Unsubscribe,
    UpsellRule,
)
from voronka.pipelines.models import Pipeline, PipelineKind

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
MAX_DAYS = 3650


# --- templates ----------------------------------------------------------------------------------------------

def _template_values(*, name: str, language: str, subject: str, body: str) -> dict[str, str]:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the template name."), field="name")
    if len(name) > 120:
        raise DomainError(_("At most 120 characters."), field="name")
    if language not in Language.values:
        raise DomainError(_("Choose Russian or English."), field="language")
    subject = (subject or "").strip()
    if not subject:
        raise DomainError(_("Enter the subject."), field="subject")
    if len(subject) > 300:
        raise DomainError(_("At most 300 characters."), field="subject")
    body = check_text(body or "", field="body", limit=NOTES_MAX)
    if not body.strip():
        raise DomainError(_("Enter the text of the email."), field="body")
    rendering.check_source(subject, field="subject")
    rendering.check_source(body, field="body")
    return {"name": name, "language": language, "subject": subject, "body": body}


def _unique_name(name: str, language: str, exclude: int | None = None) -> None:
    same = EmailTemplate.objects.filter(name=name, language=language)
    if exclude:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise DomainError(_("A template with this name and language already exists."), field="name")


@transaction.atomic
def create_template(*, actor: User, name: str, subject: str, body: str, language: str = "ru",
                    is_active: bool = True) -> EmailTemplate:
    require_perm(actor, "configure")
    values = _template_values(name=name, language=language, subject=subject, body=body)
    _unique_name(values["name"], language)
    template = EmailTemplate.objects.create(**values, is_active=bool(is_active))
    record_event(actor=actor, verb="email_template.created", target=template)
    return template


@transaction.atomic
def update_template(*, actor: User, template: EmailTemplate, name: str, subject: str, body: str,
                    language: str, is_active: bool = True) -> EmailTemplate:
    require_perm(actor, "configure")
    values = _template_values(name=name, language=language, subject=subject, body=body)
    _unique_name(values["name"], language, exclude=template.pk)
    before = {k: getattr(template, k) for k in [*values, "is_active"]}
    for key, value in values.items():
        setattr(template, key, value)
    template.is_active = bool(is_active)
    template.save()
    changes = {k: (v, getattr(template, k)) for k, v in before.items() if v != getattr(template, k)}
    record_event(actor=actor, verb="email_template.updated", target=template, changes=changes)
    return template


# --- sending ----------------------------------------------------------------------------------------------

def _absolute(path: str) -> str:
    return f"{settings.VORONKA_BASE_URL.rstrip('/')}{path}"


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def require_sender(actor: User) -> None:
    """Read-only roles send nothing and enrol nobody (``Forbidden``): the dialogs ask this before showing a form."""
    require_perm(actor, "change")


def recipient_of(*, client: Client, deal: Deal | None = None) -> str:
    """The address an email to this deal or client goes to: the deal's contact, else the client, else its
    primary contact."""
    if deal is not None and deal.contact_id and deal.contact.email:
        return deal.contact.email
    if client.email:
        return client.email
    contact = client.contacts.exclude(email="").order_by("-is_primary", "pk").first()
    return contact.email if contact else ""


def is_unsubscribed(client: Client) -> bool:
    return Unsubscribe.objects.filter(client=client).exists()


def _target(actor: User, deal: Deal | None, client: Client | None) -> tuple[Deal | None, Client]:
    if deal is not None:
        require_visible(actor, deal, field="deal")
        client = deal.client
    elif client is not None:
        require_visible(actor, client, field="client")
    else:
        raise DomainError(_("Choose a deal or a client."), field="deal")
    return deal, client


def _usable_template(template: EmailTemplate | None) -> EmailTemplate:
    if template is None or not isinstance(template, EmailTemplate):
        raise DomainError(_("Choose a template."), field="template")
    if not template.is_active:
        raise DomainError(_("This template is switched off."), field="template")
    return template


def preview_email(*, actor: User, template: EmailTemplate, deal: Deal | None = None,
                  client: Client | None = None) -> dict[str, Any]:
    """What ``send_template_email`` would send: recipient, subject, body (links shown as placeholders)."""
    require_perm(actor, "change")
    deal, client = _target(actor, deal, client)
    template = _usable_template(template)
    context = rendering.build_context(client=client, manager=actor, deal=deal,
                                      link_url=_absolute("/m/c/…/"), unsubscribe_url=_absolute("/m/u/…/"))
    rendered = rendering.render(subject=template.subject, body=template.body, context=context)
    return {"to": recipient_of(client=client, deal=deal), "subject": rendered.subject, "body": rendered.body,
            "sender": _sender_address(actor), "unsubscribed": is_unsubscribed(client)}


def _sender_address(user: User) -> str:
    name = user.get_full_name() or user.username
    return formataddr((name, user.email or settings.DEFAULT_FROM_EMAIL))


def _make_send(*, template: EmailTemplate, client: Client, deal: Deal | None, sender: User, at: dt.datetime,
               enrolment: Enrolment | None = None, position: int | None = None, automatic: bool = False) -> Send:
    """Render and store one email (in the caller's transaction) with its timeline entry; delivery after commit."""
    to = recipient_of(client=client, deal=deal)
    if not to:
        raise DomainError(_("The client has no email address."), field="template")
    token = _new_token()
    context = rendering.build_context(
        client=client, manager=sender, deal=deal,
        link_url=_absolute(reverse("mailings:track", args=[token])),
        unsubscribe_url=_absolute(reverse("mailings:unsubscribe", args=[token])))
    with override(template.language):
        rendered = rendering.render(subject=template.subject, body=template.body, context=context)
        if automatic and "unsubscribe_url" not in template.body:
            rendered.body += "\n\n-- \n" + _("Unsubscribe: %(url)s") % {"url": context["unsubscribe_url"]}
    send = Send.objects.create(template=template, enrolment=enrolment, position=position, client=client, deal=deal,
                               sender=sender, to_email=to, subject=rendered.subject, body=rendered.body,
                               automatic=automatic, token=token, created_at=at)
    log_activity(kind=ActivityKind.EMAIL, author=sender, deal=deal, client=client, at=at,
                 body=f"{rendered.subject}\n\n{rendered.body}",
                 data={"event": "email.sent", "send": send.pk, "to": to, "template": template.pk})
    transaction.on_commit(partial(deliver_send, send.pk))
    return send


@transaction.atomic
def send_template_email(*, actor: User, template: EmailTemplate, deal: Deal | None = None,
                        client: Client | None = None) -> Send:
    """Send a typical email from the current user to the deal's or client's contact, after commit."""
    require_perm(actor, "change")
    deal, client = _target(actor, deal, client)
    template = _usable_template(template)
    if is_unsubscribed(client):
        raise Conflict(_("The client has unsubscribed from our emails."), field="template")
    send = _make_send(template=template, client=client, deal=deal, sender=actor, at=timezone.now())
    record_event(actor=actor, verb="email.sent", target=send, data={"client": client.pk,
                                                                     "deal": getattr(deal, "pk", None)})
    return send


def _message(send: Send) -> EmailMessage:
    headers = {}
    if send.automatic:
        url = _absolute(reverse("mailings:unsubscribe", args=[send.token]))
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    reply_to = [send.sender.email] if send.sender.email else None
    return EmailMessage(subject=send.subject, body=send.body, from_email=_sender_address(send.sender),
                        to=[send.to_email], reply_to=reply_to, headers=headers)


def deliver_send(send_id: int, *, now: dt.datetime | None = None) -> bool:
    """Hand one stored email to the mail server; True when this call sent it.

    A row is claimed with a conditional UPDATE first, so two workers never send it twice; a failure is kept
    (``attempts``, ``last_error``) and ``deliver_pending`` tries again. Never raises.
    """
    now = now or timezone.now()
    claimed = (Send.objects.filter(pk=send_id, sent_at=None, attempts__lt=MAX_ATTEMPTS)
               .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
               .update(claimed_at=now))
    if not claimed:
        return False
    send = Send.objects.select_related("sender").get(pk=send_id)
    try:
        _message(send).send(fail_silently=False)
    except Exception as exc:  # the mail server's trouble: keep the row for the next pass
        Send.objects.filter(pk=send_id).update(attempts=send.attempts + 1, claimed_at=None,
                                               last_error=f"{exc.__class__.__name__}: {exc}"[:2000])
        logger.warning("email send failed", extra={"send_id": send_id})
        return False
    Send.objects.filter(pk=send_id).update(sent_at=timezone.now(), attempts=send.attempts + 1, last_error="")
    logger.info("email sent", extra={"send_id": send_id})
    return True


def deliver_pending(now: dt.datetime | None = None) -> int:
    """Retry pass: emails stored but not yet accepted by the mail server."""
    now = now or timezone.now()
    ids = list(Send.objects.filter(sent_at=None, attempts__lt=MAX_ATTEMPTS, created_at__lte=now)
               .order_by("pk").values_list("pk", flat=True)[:500])
    return sum(deliver_send(pk, now=now) for pk in ids)


# --- sequences -----------------------------------------------------------------------------------------------

def _days(value: Any, field: str) -> int:
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_DAYS:
        raise DomainError(_("Enter a whole number of days from 0 to %(max)s.") % {"max": MAX_DAYS}, field=field)
    return int(text)


def _check_return_pipeline(pipeline: Pipeline | None) -> Pipeline | None:
    if pipeline is not None and (not isinstance(pipeline, Pipeline) or not pipeline.is_active):
        raise DomainError(_("Choose an active pipeline."), field="return_pipeline")
    return pipeline


@transaction.atomic
def create_sequence(*, actor: User, name: str, kind: str = SequenceKind.REANIMATION,
                    lost_reasons: list[LostReason] | None = None, on_refusal: bool = False,
                    enrol_delay_days: Any = 0, return_pipeline: Pipeline | None = None,
                    is_active: bool = True) -> Sequence:
    require_perm(actor, "configure")
    sequence = Sequence()
    _apply_sequence(sequence, name=name, kind=kind, on_refusal=on_refusal, enrol_delay_days=enrol_delay_days,
                    return_pipeline=return_pipeline, is_active=is_active)
    sequence.save()
    sequence.lost_reasons.set(lost_reasons or [])
    record_event(actor=actor, verb="sequence.created", target=sequence)
    return sequence


@transaction.atomic
def update_sequence(*, actor: User, sequence: Sequence, name: str, kind: str, lost_reasons: list[LostReason],
                    on_refusal: bool, enrol_delay_days: Any, return_pipeline: Pipeline | None,
                    is_active: bool) -> Sequence:
    require_perm(actor, "configure")
    _apply_sequence(sequence, name=name, kind=kind, on_refusal=on_refusal, enrol_delay_days=enrol_delay_days,
                    return_pipeline=return_pipeline, is_active=is_active)
    sequence.save()
    sequence.lost_reasons.set(lost_reasons or [])
    record_event(actor=actor, verb="sequence.updated", target=sequence)
    return sequence


def _apply_sequence(sequence: Sequence, *, name, kind, on_refusal, enrol_delay_days, return_pipeline,
                    is_active) -> None:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise DomainError(_("Enter the sequence name (at most 120 characters)."), field="name")
    if Sequence.objects.filter(name=name).exclude(pk=sequence.pk).exists():
        raise DomainError(_("A sequence with this name already exists."), field="name")
    if kind not in SequenceKind.values:
        raise DomainError(_("Unknown kind."), field="kind")
    sequence.name, sequence.kind = name, kind
    sequence.on_refusal = bool(on_refusal)
    sequence.enrol_delay_days = _days(enrol_delay_days, "enrol_delay_days")
    sequence.return_pipeline = _check_return_pipeline(return_pipeline)
    sequence.is_active = bool(is_active)


@transaction.atomic
def add_step(*, actor: User, sequence: Sequence, template: EmailTemplate, delay_days: Any) -> SequenceStep:
    require_perm(actor, "configure")
    if not isinstance(template, EmailTemplate):
        raise DomainError(_("Choose a template."), field="template")
    delay = _days(delay_days, "delay_days")
    last = sequence.steps.order_by("-position").values_list("position", flat=True).first() or 0
    step = SequenceStep.objects.create(sequence=sequence, position=last + 1, template=template, delay_days=delay)
    record_event(actor=actor, verb="sequence.step_added", target=sequence, data={"step": step.pk})
    return step


@transaction.atomic
def remove_step(*, actor: User, step: SequenceStep) -> None:
    require_perm(actor, "configure")
    sequence = step.sequence
    position = step.position
    step.delete()
    for later in sequence.steps.filter(position__gt=position).order_by("position"):
        SequenceStep.objects.filter(pk=later.pk).update(position=later.position - 1)
    record_event(actor=actor, verb="sequence.step_removed", target=sequence, data={"position": position})


def _first_due(sequence: Sequence, at: dt.datetime) -> dt.datetime | None:
    first = sequence.steps.order_by("position").first()
    if first is None:
        return None
    return at + dt.timedelta(days=sequence.enrol_delay_days + first.delay_days)


def enrol(*, sequence: Sequence, client: Client, manager: User | None, at: dt.datetime,
          source_deal: Deal | None = None) -> Enrolment | None:
    """Start a client on a sequence (internal: callers check permissions); None when he cannot take it
    (switched off, no steps, unsubscribed, no address, no manager, already on it)."""
    if not sequence.is_active or is_unsubscribed(client) or not recipient_of(client=client, deal=source_deal):
        return None
    if manager is None or not manager.is_active or getattr(manager, "is_system", False):
        return None
    due = _first_due(sequence, at)
    if due is None:
        return None
    if Enrolment.objects.filter(sequence=sequence, client=client, status=EnrolmentStatus.ACTIVE).exists():
        return None
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(sequence=sequence, client=client, manager=manager,
                                                 source_deal=source_deal, enrolled_at=at, next_due_at=due)
    except IntegrityError:  # a concurrent twin
        return None
    log_activity(kind=ActivityKind.SYSTEM, author=get_system_actor(), client=client, deal=source_deal, at=at,
                 body=_("Enrolled in the sequence “%(name)s”.") % {"name": sequence.name},
                 data={"event": "sequence.enrolled", "enrolment": enrolment.pk})
    return enrolment


@transaction.atomic
def enrol_clients(*, actor: User, sequence: Sequence, clients: list[Client]) -> int:
    """Outreach (or any sequence) by hand: each visible client, from his responsible manager (or the actor)."""
    require_perm(actor, "change")
    if not sequence.is_active:
        raise DomainError(_("The sequence is switched off."), field="sequence")
    made = 0
    now = timezone.now()
    for client in clients:
        require_visible(actor, client, field="clients")
        manager = client.responsible if client.responsible_id else actor
        made += enrol(sequence=sequence, client=client, manager=manager, at=now) is not None
    return made


def _end(enrolment: Enrolment, *, status: str, reason: str, at: dt.datetime, note: str) -> None:
    enrolment.status, enrolment.stop_reason, enrolment.ended_at = status, reason, at
    enrolment.next_due_at = None
    enrolment.save(update_fields=["status", "stop_reason", "ended_at", "next_due_at"])
    log_activity(kind=ActivityKind.SYSTEM, author=get_system_actor(), client=enrolment.client, at=at,
                 body=note, data={"event": "sequence.ended", "enrolment": enrolment.pk, "reason": reason})


def stop_for_client(*, client_id: int, reason: str, at: dt.datetime | None = None,
                    sequence: Sequence | None = None, enrolled_before: dt.datetime | None = None) -> int:
    """End every active enrolment of a client (reply, new deal, unsubscribe, an automation action)."""
    at = at or timezone.now()
    active = Enrolment.objects.select_related("sequence", "client").filter(client_id=client_id,
                                                                          status=EnrolmentStatus.ACTIVE)
    if sequence is not None:
        active = active.filter(sequence=sequence)
    if enrolled_before is not None:
        active = active.filter(enrolled_at__lt=enrolled_before)
    count = 0
    for enrolment in active.select_for_update(of=("self",)):
        _end(enrolment, status=EnrolmentStatus.STOPPED, reason=reason, at=at,
             note=_("Sequence “%(name)s” stopped: %(reason)s.") % {"name": enrolment.sequence.name,
                                                                    "reason": STOP_REASONS.get(reason, reason)})
        count += 1
    return count


STOP_REASONS = {"replied": gettext_lazy("the client replied"), "new_deal": gettext_lazy("a new deal was opened"),
                "unsubscribed": gettext_lazy("the client unsubscribed"), "manual": gettext_lazy("stopped by hand"),
                "action": gettext_lazy("a stage action"), "no_address": gettext_lazy("no email address")}


@transaction.atomic
def stop_enrolment(*, actor: User, enrolment: Enrolment) -> Enrolment:
    require_perm(actor, "change")
    require_visible(actor, enrolment.client, field="enrolment")
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise Conflict(_("This enrolment has already ended."), field="enrolment")
    _end(enrolment, status=EnrolmentStatus.STOPPED, reason="manual", at=timezone.now(),
         note=_("Sequence “%(name)s” stopped by %(user)s.") % {"name": enrolment.sequence.name, "user": actor})
    record_event(actor=actor, verb="sequence.stopped", target=enrolment)
    return enrolment


def _step_once(enrolment_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        enrolment = (Enrolment.objects.select_for_update(skip_locked=True, of=("self",))
                     .select_related("sequence", "client", "manager", "source_deal")
                     .filter(pk=enrolment_id, status=EnrolmentStatus.ACTIVE, next_due_at__lte=now).first())
        if enrolment is None:
            return False
        if is_unsubscribed(enrolment.client):
            _end(enrolment, status=EnrolmentStatus.STOPPED, reason="unsubscribed", at=now,
                 note=_("Sequence “%(name)s” stopped: the client unsubscribed.") % {"name": enrolment.sequence.name})
            return False
        steps = list(enrolment.sequence.steps.select_related("template").order_by("position"))
        step = next((s for s in steps if s.position >= enrolment.next_position), None)
        sent = False
        if step is not None and Send.objects.filter(enrolment=enrolment, position=step.position).exists():
            pass  # sent already (a crash between the send and the advance): just advance
        elif step is not None:
            try:
                with transaction.atomic():
                    _make_send(template=step.template, client=enrolment.client, deal=enrolment.source_deal,
                               sender=enrolment.manager, at=now, enrolment=enrolment, position=step.position,
                               automatic=True)
                sent = True
            except DomainError:
                _end(enrolment, status=EnrolmentStatus.STOPPED, reason="no_address", at=now,
                     note=_("Sequence “%(name)s” stopped: the client has no email address.")
                     % {"name": enrolment.sequence.name})
                return False
        later = next((s for s in steps if step is not None and s.position > step.position), None)
        if later is None:
            enrolment.status, enrolment.ended_at, enrolment.next_due_at = EnrolmentStatus.FINISHED, now, None
            enrolment.next_position = (step.position + 1) if step else enrolment.next_position
        else:
            enrolment.next_position = later.position
            enrolment.next_due_at = now + dt.timedelta(days=later.delay_days)
        enrolment.save(update_fields=["status", "ended_at", "next_due_at", "next_position"])
        return sent


def send_due_steps(now: dt.datetime | None = None) -> int:
    """The sequence engine (``voronka tick``): send each enrolment's step that is due at ``now``, once."""
    now = now or timezone.now()
    ids = list(Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE, next_due_at__lte=now)
               .order_by("next_due_at", "pk").values_list("pk", flat=True)[:1000])
    made = sum(_step_once(pk, now) for pk in ids)
    if made:
        logger.info("sequence steps sent", extra={"count": made})
    return made


# --- links in emails -----------------------------------------------------------------------------------------

def _send_by_token(token: str) -> Send:
    send = (Send.objects.select_related("enrolment__sequence", "enrolment__manager", "client")
            .filter(token=str(token or "")[:64]).first())
    if send is None:
        raise NotFound(_("This link is not valid."))
    return send


def _open_deal(*, pipeline: Pipeline, client: Client, owner: User, title: str, task_title: str, at: dt.datetime,
               values: dict[str, Any], source: Deal | None = None) -> Deal | None:
    """A deal opened by automation for ``owner``, with the values the first stage may require (the contact, the
    source of the earlier deal, …). When the stage still asks for more, the manager gets a client task to open
    it by hand instead, and the reason is on the timeline: nothing is lost silently."""
    system = get_system_actor()
    contact = (source.contact if source is not None and source.contact_id else
               client.contacts.order_by("-is_primary", "pk").first())
    base: dict[str, Any] = {}
    if contact is not None:
        base["contact"] = contact.pk
    for key in ("source", "channel", "campaign"):
        value = getattr(source, f"{key}_id", None) if source is not None else None
        value = value or getattr(client, f"{key}_id", None)
        if value:
            base[key] = value
    try:
        with transaction.atomic():
            return create_deal(actor=system, title=title[:255], pipeline=pipeline, client=client, owner=owner,
                               values={**base, **values},
                               first_task={"title": task_title, "kind": "call", "due_date": timezone.localdate(at)})
    except DomainError as exc:
        logger.warning("automatic deal not opened", extra={"client_id": client.pk, "pipeline_id": pipeline.pk})
        log_activity(kind=ActivityKind.SYSTEM, author=system, client=client, at=at,
                     body=_("A deal in “%(pipeline)s” could not be opened automatically: %(reason)s")
                     % {"pipeline": pipeline.name, "reason": exc.message},
                     data={"event": "auto_deal_failed", "pipeline": pipeline.pk})
        build_task(actor=system, client=client, spec={
            "title": f"{task_title} ({title})"[:255], "kind": "call", "due_date": timezone.localdate(at),
            "assignee": owner}).save()
        return None


def return_pipeline_for(sequence: Sequence | None) -> Pipeline | None:
    if sequence is not None and sequence.return_pipeline_id and sequence.return_pipeline.is_active:
        return sequence.return_pipeline
    return Pipeline.objects.filter(kind=PipelineKind.RETURN, is_active=True).order_by("sort_order", "pk").first()


def _return(enrolment: Enrolment, *, at: dt.datetime, why: str) -> Deal | None:
    """Bring the client back: a deal in the Return pipeline for the manager with a first task."""
    enrolment = Enrolment.objects.select_for_update(of=("self",)).select_related("sequence", "client", "manager").get(
        pk=enrolment.pk)
    if enrolment.return_deal_id or enrolment.status in (EnrolmentStatus.RETURNED,):
        return None
    pipeline = return_pipeline_for(enrolment.sequence)
    if pipeline is None:
        logger.warning("no return pipeline", extra={"enrolment_id": enrolment.pk})
        return None
    system = get_system_actor()
    manager = enrolment.manager
    with override(getattr(manager, "language", "") or settings.LANGUAGE_CODE):
        title = _("Return: %(client)s") % {"client": enrolment.client.name}
        task_title = (_("The client clicked the link in the email: call him") if why == "click"
                      else _("The client replied to the email: answer him"))
    # Mark first, so the deal.created handler (which stops active enrolments) finds this one settled.
    enrolment.status, enrolment.stop_reason, enrolment.ended_at = EnrolmentStatus.RETURNED, why, at
    enrolment.next_due_at = None
    enrolment.save(update_fields=["status", "stop_reason", "ended_at", "next_due_at"])
    deal = _open_deal(pipeline=pipeline, client=enrolment.client, owner=manager, title=title, task_title=task_title,
                      at=at, values={}, source=enrolment.source_deal)
    if deal is None:
        return None
    enrolment.return_deal = deal
    enrolment.save(update_fields=["return_deal"])
    log_activity(kind=ActivityKind.SYSTEM, author=system, deal=deal, at=at,
                 body=_("Returned by the sequence “%(name)s”.") % {"name": enrolment.sequence.name},
                 data={"event": "sequence.returned", "enrolment": enrolment.pk, "why": why})
    return deal


@transaction.atomic
def record_click(*, token: str, at: dt.datetime | None = None) -> Send:
    """A click on the tracked link (public, no sign-in): the first one is kept and, for a sequence email,
    brings the client back through the Return pipeline."""
    at = at or timezone.now()
    send = _send_by_token(token)
    if send.clicked_at is None and Send.objects.filter(pk=send.pk, clicked_at=None).update(clicked_at=at):
        log_activity(kind=ActivityKind.SYSTEM, author=get_system_actor(), client=send.client, deal=send.deal,
                     at=at, body=_("The client opened the link in “%(subject)s”.") % {"subject": send.subject},
                     data={"event": "email.clicked", "send": send.pk})
    if send.enrolment_id and can_return(send.enrolment):
        _return(send.enrolment, at=at, why="click")
    return send


def can_return(enrolment: Enrolment) -> bool:
    return enrolment.return_deal_id is None and enrolment.status in (EnrolmentStatus.ACTIVE, EnrolmentStatus.FINISHED)


@transaction.atomic
def unsubscribe(*, token: str, at: dt.datetime | None = None) -> Client:
    """The unsubscribe link (public): the client gets no more automatic email; recorded on his timeline."""
    at = at or timezone.now()
    send = _send_by_token(token)
    client = send.client
    _row, created = Unsubscribe.objects.get_or_create(client=client, defaults={"email": send.to_email, "send": send,
                                                                            "at": at})
    if created:
        log_activity(kind=ActivityKind.SYSTEM, author=get_system_actor(), client=client, at=at,
                     body=_("The client unsubscribed from our emails (%(email)s).") % {"email": send.to_email},
                     data={"event": "email.unsubscribed", "send": send.pk})
        record_event(actor=get_system_actor(), verb="client.unsubscribed", target=client,
                     data={"email": send.to_email})
    stop_for_client(client_id=client.pk, reason="unsubscribed", at=at)
    return client


def client_replied(*, client_id: int, at: dt.datetime | None = None) -> int:
    """An email from the client arrived (mailbox): his active sequences stop; one that already sent him a step
    brings him back through the Return pipeline. Returns how many enrolments ended."""
    at = at or timezone.now()
    ended = 0
    active = list(Enrolment.objects.filter(client_id=client_id, status=EnrolmentStatus.ACTIVE))
    for enrolment in active:
        if Send.objects.filter(enrolment=enrolment).exists() and _return(enrolment, at=at, why="replied"):
            ended += 1
    return ended + stop_for_client(client_id=client_id, reason="replied", at=at)


def enrol_lost_deal(*, deal: Deal, at: dt.datetime | None = None) -> int:
    """A lost deal enrols its client in every active sequence that lists its reason."""
    at = at or timezone.now()
    if deal.status != DealStatus.LOST or not deal.lost_reason_id:
        return 0
    sequences = Sequence.objects.filter(is_active=True, lost_reasons=deal.lost_reason_id).order_by("pk")
    return sum(enrol(sequence=s, client=deal.client, manager=deal.owner, at=at, source_deal=deal) is not None
               for s in sequences)


def enrol_refused_client(*, client: Client, at: dt.datetime | None = None) -> int:
    at = at or timezone.now()
    manager = client.responsible if client.responsible_id else None
    return sum(enrol(sequence=s, client=client, manager=manager, at=at) is not None
               for s in Sequence.objects.filter(is_active=True, on_refusal=True).order_by("pk"))


def start_sequence_for_deal(*, deal: Deal, sequence: Sequence, at: dt.datetime | None = None) -> Enrolment | None:
    """A stage action: the deal's client on a sequence, from the deal's owner."""
    return enrol(sequence=sequence, client=deal.client, manager=deal.owner, at=at or timezone.now(),
                 source_deal=deal)


def send_for_deal(*, deal: Deal, template: EmailTemplate, at: dt.datetime | None = None) -> Send | None:
    """A stage action: the template from the deal's owner to its contact (automatic: with unsubscribe)."""
    if not template.is_active or is_unsubscribed(deal.client) or not recipient_of(client=deal.client, deal=deal):
        return None
    return _make_send(template=template, client=deal.client, deal=deal, sender=deal.owner,
                      at=at or timezone.now(), automatic=True)


# --- renewal and upsell ------------------------------------------------------------------------------------

def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@transaction.atomic
def save_renewal_rule(*, actor: User, product, term_months: Any, days_before: Any, pipeline: Pipeline,
                      is_active: bool = True) -> RenewalRule:
    require_perm(actor, "configure")
    term = str(term_months or "").strip()
    if not (term.isascii() and term.isdigit()) or not 1 <= int(term) <= 240:
        raise DomainError(_("Enter a term from 1 to 240 months."), field="term_months")
    if not isinstance(pipeline, Pipeline) or not pipeline.is_active:
        raise DomainError(_("Choose an active pipeline."), field="pipeline")
    rule, _created = RenewalRule.objects.update_or_create(product=product, defaults={
        "term_months": int(term), "days_before": _days(days_before, "days_before"), "pipeline": pipeline,
        "is_active": bool(is_active)})
    record_event(actor=actor, verb="renewal_rule.saved", target=rule)
    return rule


@transaction.atomic
def save_upsell_rule(*, actor: User, product, offer, after_days: Any, pipeline: Pipeline,
                     is_active: bool = True) -> UpsellRule:
    require_perm(actor, "configure")
    if product is None or offer is None or product.pk == offer.pk:
        raise DomainError(_("Choose two different products."), field="offer")
    if not isinstance(pipeline, Pipeline) or not pipeline.is_active:
        raise DomainError(_("Choose an active pipeline."), field="pipeline")
    rule, _created = UpsellRule.objects.update_or_create(product=product, offer=offer, defaults={
        "after_days": _days(after_days, "after_days"), "pipeline": pipeline, "is_active": bool(is_active)})
    record_event(actor=actor, verb="upsell_rule.saved", target=rule)
    return rule


def _won_with(product_id: int, since: dt.datetime):
    return (Deal.objects.filter(status=DealStatus.WON, closed_at__gte=since)
            .filter(Q(product_id=product_id) | Q(lines__product_id=product_id)).distinct()
            .select_related("client", "owner"))


def _follow_up(*, key: str, won: Deal, pipeline: Pipeline, title: str, task: str, at: dt.datetime,
               product=None, extra: dict[str, Any] | None = None) -> bool:
    if FollowUp.objects.filter(rule_key=key, won_deal=won).exists():
        return False
    manager = won.client.responsible if won.client.responsible_id else won.owner
    if not manager.is_active or getattr(manager, "is_system", False):
        manager = won.owner
    if not manager.is_active:
        return False
    with transaction.atomic():
        try:
            mark = FollowUp.objects.create(rule_key=key, won_deal=won, at=at)
        except IntegrityError:
            return False
        values = {"product": product.pk} if product is not None else {}
        values.update(extra or {})
        deal = _open_deal(pipeline=pipeline, client=won.client, owner=manager, title=title, task_title=task, at=at,
                          values=values, source=won)
        if deal is None:
            return True
        mark.created_deal = deal
        mark.save(update_fields=["created_deal"])
        log_activity(kind=ActivityKind.SYSTEM, author=get_system_actor(), deal=deal, at=at,
                     body=_("Opened by a rule after the won deal “%(deal)s”.") % {"deal": won.title},
                     data={"event": "follow_up", "rule": key, "won_deal": won.pk})
    return True


def _has_field(key: str) -> bool:
    from voronka.catalog.fields import deal_fields

    return key in deal_fields()


def open_follow_ups(now: dt.datetime | None = None) -> int:
    """Renewal and upsell deals due at ``now`` (``voronka tick``); once per rule and won deal."""
    now = now or timezone.now()
    made = 0
    for rule in RenewalRule.objects.filter(is_active=True).select_related("product", "pipeline"):
        if not rule.pipeline.is_active:
            continue
        since = now - dt.timedelta(days=31 * rule.term_months + 31)
        for won in _won_with(rule.product_id, since):
            end = _add_months(timezone.localtime(won.closed_at).date(), rule.term_months)
            if timezone.localdate(now) < end - dt.timedelta(days=rule.days_before):
                continue
            with override(settings.LANGUAGE_CODE):
                title = _("Renewal: %(client)s, %(product)s") % {"client": won.client.name, "product": rule.product}
                task = _("Offer the renewal (the term ends %(date)s)") % {"date": end.isoformat()}
            extra = {"cf:contract_end_date": end.isoformat()} if _has_field("cf:contract_end_date") else {}
            made += _follow_up(key=f"renewal:{rule.pk}", won=won, pipeline=rule.pipeline, title=title, task=task,
                               at=now, product=rule.product, extra=extra)
    for rule in UpsellRule.objects.filter(is_active=True).select_related("product", "offer", "pipeline"):
        if not rule.pipeline.is_active:
            continue
        since = now - dt.timedelta(days=rule.after_days + 365)
        for won in _won_with(rule.product_id, since):
            if won.closed_at + dt.timedelta(days=rule.after_days) > now:
                continue
            with override(settings.LANGUAGE_CODE):
                title = _("Upsell: %(client)s, %(product)s") % {"client": won.client.name, "product": rule.offer}
                task = _("Offer %(product)s") % {"product": rule.offer}
            made += _follow_up(key=f"upsell:{rule.pk}", won=won, pipeline=rule.pipeline, title=title, task=task,
                               at=now, product=rule.offer)
    return made


def run_jobs(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic jobs of mailings, in order, for ``voronka tick``."""
    now = now or timezone.now()
    return {"sequence steps sent": send_due_steps(now), "emails delivered (retry)": deliver_pending(now),
            "renewal and upsell deals opened": open_follow_ups(now)}



def check_token(*, token: str) -> None:
    """NotFound unless ``token`` is the token of a stored email."""
    _send_by_token(token)


@transaction.atomic
def stop_client_sequences(*, actor: User, client: Client) -> int:
    """A manual stop of every active sequence of a client."""
    require_perm(actor, "change")
    require_visible(actor, client, field="client")
    count = stop_for_client(client_id=client.pk, reason="manual")
    if not count:
        raise Conflict(_("The client is on no sequence."), field="sequence")
    record_event(actor=actor, verb="sequence.stopped", target=client, data={"count": count})
    return count


# --- the shipped reanimation sequence --------------------------------------------------------------------------

BLUEPRINT = Path(__file__).resolve().parent / "blueprints" / "reanimation.yaml"


def _local(value: Any, language: str) -> str:
    return str(value.get(language) or value.get("ru") or "") if isinstance(value, dict) else str(value or "")


@transaction.atomic
def install_default_sequence(*, language: str = "ru") -> Sequence | None:
    """The reanimation sequence of ``blueprints/reanimation.yaml`` (its templates, steps, lost reasons by name)
    while the installation has no sequence yet; None when it has one (idempotent)."""
    if Sequence.objects.exists():
        return None
    language = language if language in Language.values else "ru"
    data = yaml.safe_load(BLUEPRINT.read_text(encoding="utf-8"))
    system = get_system_actor()
    names = [name for r in data.get("lost_reasons") or [] for name in (r.values() if isinstance(r, dict) else [r])]
    reasons = list(LostReason.objects.filter(name__in=names))
    sequence = create_sequence(actor=system, name=_local(data["name"], language), lost_reasons=reasons,
                               enrol_delay_days=data.get("enrol_delay_days", 0),
                               return_pipeline=return_pipeline_for(None))
    for step in data["steps"]:
        name = _local(step["name"], language)
        template = EmailTemplate.objects.filter(name=name, language=language).first() or create_template(
            actor=system, name=name, language=language, subject=_local(step["subject"], language),
            body=_local(step["body"], language))
        add_step(actor=system, sequence=sequence, template=template, delay_days=step.get("delay_days", 0))
    logger.info("default sequence installed", extra={"sequence_id": sequence.pk})
    return sequence
