"""Telephony: a provider-neutral webhook reports a call; it goes on the matching client's timeline, or an
unknown number becomes a lead (quick add's ``create_lead``), and a missed call leaves a task "Call back".

The provider's event id makes a repeated report a no-op (``CallEvent.event_id`` is unique). Everything is
written as the system actor, in one transaction, with the event ``call.logged``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.services import get_system_actor
from voronka.activities.models import ActivityKind
from voronka.activities.services import create_task, log_activity
from voronka.catalog.models import Channel, Source
from voronka.clients.normalize import normalize_phone
from voronka.clients.selectors import find_duplicates
from voronka.core.errors import DomainError
from voronka.deals.leads import create_lead
from voronka.deals.models import Deal, DealStatus
from voronka.events.services import record_event
from voronka.integrations.connectors import can_own, telephony_targets, telephony_tokens
from voronka.integrations.models import CallDirection, CallEvent, CallStatus
from voronka.pipelines.models import Pipeline, PipelineKind

logger = logging.getLogger(__name__)

PHONE_CHANNEL = "Телефон"  # the source/channel dictionary item leads from calls get, where it exists
MAX_DURATION = 24 * 3600


class CallRejected(DomainError):
    """A report that cannot be taken (422: the payload is well-formed but names nothing usable)."""

    status = 422


def token_matches(token: str) -> bool:
    """Whether ``token`` is one of the configured secrets (compared in constant time, every one of them)."""
    token = str(token or "").encode()
    matched = False
    for candidate in telephony_tokens():
        matched |= hmac.compare_digest(token, candidate.encode())
    return matched and bool(token)


# --- the payload ----------------------------------------------------------------------------------------------

def _text(payload: dict[str, Any], key: str, *, required: bool = True, limit: int = 100) -> str:
    value = payload.get(key)
    if value is None or value == "":
        if required:
            raise DomainError(_("This field is required."), field=key, code="required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DomainError(_("Expected a string."), field=key)
    value = str(value).strip()
    if required and not value:
        raise DomainError(_("This field is required."), field=key, code="required")
    if len(value) > limit:
        raise DomainError(_("At most %(n)s characters.") % {"n": limit}, field=key)
    return value


def _choice(payload: dict[str, Any], key: str, choices: list[str]) -> str:
    value = _text(payload, key, limit=16)
    if value not in choices:
        raise DomainError(_("One of: %(values)s.") % {"values": ", ".join(choices)}, field=key)
    return value


def _started_at(payload: dict[str, Any]) -> dt.datetime:
    raw = _text(payload, "started_at", limit=40)
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise DomainError(_("Expected a date and time in ISO 8601, e.g. 2026-12-01T14:05:00+03:00."),
                          field="started_at")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + dt.timedelta(days=1) or value.year < 2000:
        raise DomainError(_("The call's time is out of range."), field="started_at")
    return value


def _duration(payload: dict[str, Any]) -> int:
    value = payload.get("duration", 0)
    if value in (None, ""):
        return 0
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DURATION:
        raise DomainError(_("Seconds, a whole number from 0 to %(max)s.") % {"max": MAX_DURATION},
                          field="duration")
    return value


def _recording_url(payload: dict[str, Any]) -> str:
    url = _text(payload, "recording_url", required=False, limit=1000)
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise DomainError(_("An http:// or https:// address."), field="recording_url") from exc
    return url


def _phone(value: str, field: str) -> str:
    """A client's number, normalised (E.164) like everywhere; a line's own side may be an extension."""
    if not value:
        raise DomainError(_("This field is required."), field=field, code="required")
    return normalize_phone(value, field=field)


def _extensions() -> dict[str, str]:
    pairs = (item.split("=", 1) for item in settings.VORONKA_TELEPHONY_EXTENSIONS.split(",") if "=" in item)
    return {ext.strip(): who.strip() for ext, who in pairs if ext.strip() and who.strip()}


def user_named(name: str) -> User | None:
    if not name:
        return None
    users = User.objects.filter(is_active=True, is_system=False)
    return (users.filter(email__iexact=name).order_by("id").first() if "@" in name
            else users.filter(username=name).first())


def _operator(payload: dict[str, Any]) -> User | None:
    """The operator by the user's email or by an extension mapped in ``VORONKA_TELEPHONY_EXTENSIONS``."""
    raw = _text(payload, "operator", required=False, limit=254)
    if not raw:
        return None
    if "@" in raw:
        try:
            validate_email(raw)
        except ValidationError as exc:
            raise DomainError(_("An email or an extension."), field="operator") from exc
        return user_named(raw)
    return user_named(_extensions().get(raw, ""))


def parse_call(payload: Any) -> dict[str, Any]:
    """Every field of a report, checked; a bad one raises ``DomainError`` naming it."""
    if not isinstance(payload, dict):
        raise DomainError(_("Expected a JSON object."), field=None)
    call = {"event_id": _text(payload, "id"),
            "direction": _choice(payload, "direction", CallDirection.values),
            "status": _choice(payload, "status", CallStatus.values),
            "started_at": _started_at(payload), "duration": _duration(payload),
            "recording_url": _recording_url(payload), "operator": _operator(payload)}
    caller, callee = _text(payload, "caller", limit=40), _text(payload, "callee", limit=40)
    if call["direction"] == CallDirection.IN:
        call["caller"], call["callee"] = _phone(caller, "caller"), callee
        call["number"] = call["caller"]
    else:
        call["caller"], call["callee"] = caller, _phone(callee, "callee")
        call["number"] = call["callee"]
    return call


# --- the effects ----------------------------------------------------------------------------------------------

def _lead_owner(operator: User | None) -> User:
    if can_own(operator):
        return operator
    _pipeline, _slug, stored, name = telephony_targets()
    fallback = stored if stored is not None else user_named(name)
    if can_own(fallback):
        return fallback
    raise CallRejected(_("Nobody to give the lead to: name the operator or choose the manager in Settings › "
                         "Telephony."), field="operator", code="no_assignee")


def lead_pipeline(slug: str) -> Pipeline | None:
    """The pipeline of captured leads: the one with ``slug``, else the first active inbound (or any) one."""
    active = Pipeline.objects.filter(is_active=True)
    return (active.filter(slug=slug).first() if slug
            else active.filter(kind=PipelineKind.INBOUND).first() or active.first())


def _lead_pipeline() -> Pipeline:
    stored, slug, _user, _name = telephony_targets()
    pipeline = (stored if stored.is_active else None) if stored is not None else lead_pipeline(slug)
    if pipeline is None:
        raise CallRejected(_("No active pipeline for leads from calls."), code="no_pipeline")
    return pipeline


def _body(call: dict[str, Any]) -> str:
    direction = _("Incoming call") if call["direction"] == CallDirection.IN else _("Outgoing call")
    status = _("answered") if call["status"] == CallStatus.ANSWERED else _("missed")
    minutes, seconds = divmod(call["duration"], 60)
    lines = [f"{direction} ({status}): {call['caller']} → {call['callee']}, {minutes}:{seconds:02d}"]
    if call["operator"] is not None:
        lines.append(_("Operator: %(name)s") % {"name": call["operator"]})
    if call["recording_url"]:
        lines.append(_("Recording: %(url)s") % {"url": call["recording_url"]})
    return "\n".join(lines)


def open_deal(client) -> Deal | None:
    return client.deals.filter(status=DealStatus.OPEN).order_by("-created_at", "-id").first()


def log_call(*, payload: Any) -> tuple[CallEvent, bool]:
    """Take one report: ``(call, True)`` when recorded now, ``(call, False)`` for a repeated event id."""
    call = parse_call(payload)
    existing = CallEvent.objects.filter(event_id=call["event_id"]).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _record(call), True
    except IntegrityError:  # the same id at the same moment: the other report won
        existing = CallEvent.objects.filter(event_id=call["event_id"]).first()
        if existing is None:
            raise
        return existing, False


def _record(call: dict[str, Any]) -> CallEvent:
    event = CallEvent.objects.create(  # first: a concurrent report with this id waits here, then fails
        event_id=call["event_id"], direction=call["direction"], status=call["status"], caller=call["caller"][:32],
        callee=call["callee"][:32], started_at=call["started_at"], duration=call["duration"],
        recording_url=call["recording_url"], operator=call["operator"])
    system = get_system_actor()
    missed = call["status"] == CallStatus.MISSED
    today = timezone.localdate()
    known = find_duplicates(phone=call["number"], limit=1)
    if known:
        client = known[0]
        deal = open_deal(client)
        if missed:
            assignee = client.responsible if can_own(client.responsible) else (deal.owner if deal else None)
            if can_own(assignee):
                create_task(actor=system, deal=deal, client=None if deal else client, title=_("Call back"),
                            kind="call", due_date=today, assignee=assignee)
    else:
        owner = _lead_owner(call["operator"])
        phone_source = Source.objects.filter(name__iexact=PHONE_CHANNEL, is_active=True).first()
        phone_channel = Channel.objects.filter(name__iexact=PHONE_CHANNEL, is_active=True).first()
        name = _("Caller %(phone)s") % {"phone": call["number"]}
        client_spec = {"kind": "person", "name": name, "phone": call["number"], "responsible": owner,
                       **({"source": phone_source} if phone_source else {}),
                       **({"channel": phone_channel} if phone_channel else {})}
        task = {"title": _("Call back") if missed else _("Follow up the call"), "kind": "call", "due_date": today}
        deal = create_lead(actor=system, client=client_spec, deal={"pipeline": _lead_pipeline(), "title": name},
                           task=task, owner=owner, allow_duplicate=True)
        client = deal.client
        event.new_lead = True
    data = {"call": event.pk, "event_id": event.event_id, "direction": event.direction, "status": event.status,
            "number": call["number"], "duration": event.duration, "recording_url": event.recording_url,
            "operator": getattr(call["operator"], "pk", None)}
    entry = log_activity(kind=ActivityKind.CALL, author=call["operator"] or system, deal=deal, client=client,
                         body=_body(call), data=data, at=call["started_at"])
    event.client, event.deal = client, deal
    event.save(update_fields=["client", "deal", "new_lead"])
    record_event(actor=system, verb="call.logged", target=entry,
                 data={**data, "deal": getattr(deal, "pk", None), "client": client.pk, "new_lead": event.new_lead})
    logger.info("call logged", extra={"call_id": event.pk, "client_id": client.pk, "new_lead": event.new_lead})
    return event
