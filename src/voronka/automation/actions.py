"""The executor of a stage's ``on_enter`` actions (``pipelines.actions``) after commit, and the checks of the
references they make to email templates, sequences and webhooks (registered at start-up).

``deals.services._run_on_enter`` records a ``stage.entered`` event with the actions configured when the deal
entered the stage; this handler runs them in the dispatch transaction. Each action, done or not, leaves one
system entry on the deal's timeline keyed by (event, action number), so a re-dispatched event does nothing
twice. An action that can no longer run (a template switched off since, the client unsubscribed) is written
on the timeline as not done, never silently skipped.
"""

from __future__ import annotations

import logging

from django.urls import reverse
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.selectors import pool_members
from voronka.accounts.services import get_system_actor, next_member
from voronka.activities.models import Activity, ActivityKind
from voronka.activities.services import log_activity
from voronka.automation.models import EventType
from voronka.automation.services import in_language, notify
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.deals.services import reassign_deal, stage_person, update_deal
from voronka.events.registry import handles
from voronka.integrations.models import WebhookSubscription
from voronka.integrations.services import queue_delivery_to
from voronka.mailings import services as mailings
from voronka.mailings.models import EmailTemplate, Sequence
from voronka.pipelines.actions import register_reference_check
from voronka.pipelines.models import Stage

logger = logging.getLogger(__name__)


# --- checks at save ---------------------------------------------------------------------------------------

def _check_template(spec: dict) -> None:
    if not EmailTemplate.objects.filter(pk=spec["template"], is_active=True).exists():
        raise DomainError(_("No active email template %(id)s.") % {"id": spec["template"]})


def _check_sequence(spec: dict) -> None:
    if "sequence" not in spec:
        return
    sequence = Sequence.objects.filter(pk=spec["sequence"]).first()
    if sequence is None:
        raise DomainError(_("No sequence %(id)s.") % {"id": spec["sequence"]})
    if spec["action"] == "start_sequence" and (not sequence.is_active or not sequence.steps.exists()):
        raise DomainError(_("The sequence “%(name)s” is switched off or has no steps.") % {"name": sequence.name})


def _check_webhook(spec: dict) -> None:
    if not WebhookSubscription.objects.filter(pk=spec["subscription"]).exists():
        raise DomainError(_("No webhook subscription %(id)s.") % {"id": spec["subscription"]})


def register() -> None:
    """Called by ``AutomationConfig.ready``: the actions that need a higher app can be saved from now on."""
    register_reference_check("send_email", _check_template)
    register_reference_check("start_sequence", _check_sequence)
    register_reference_check("stop_sequence", _check_sequence)
    register_reference_check("webhook", _check_webhook)


# --- running after commit ------------------------------------------------------------------------------------

def _notify(deal: Deal, stage: Stage, action: dict, event) -> str:
    person = stage_person(deal, stage, action["to"])
    if person is None:
        return _("not done: nobody is %(who)s") % {"who": action["to"]}
    with in_language(person):
        title = action.get("text") or _("Deal on the stage “%(stage)s”: %(deal)s") % {"stage": stage.name,
                                                                                     "deal": deal.title}
    made = notify(recipient=person, event_type=EventType.STAGE_ACTION, target=deal, title=title,
                  link_url=reverse("deals:detail", args=[deal.pk]), dedupe_key=f"stage_action:{event.pk}:{action['_index']}")
    return (_("%(user)s notified") if made else _("not done: %(user)s cannot be told about this deal")) % {
        "user": person}


def _send_email(deal: Deal, stage: Stage, action: dict, event) -> str:
    template = EmailTemplate.objects.filter(pk=action["template"], is_active=True).first()
    if template is None:
        return _("not done: the email template is switched off or deleted")
    try:
        send = mailings.send_for_deal(deal=deal, template=template)
    except DomainError as exc:
        return _("not done: %(reason)s") % {"reason": exc.message}
    if send is None:
        return _("not done: the client has unsubscribed or has no email address")
    return _("email “%(subject)s” to %(to)s") % {"subject": send.subject, "to": send.to_email}


def _start_sequence(deal: Deal, stage: Stage, action: dict, event) -> str:
    sequence = Sequence.objects.filter(pk=action["sequence"]).first()
    if sequence is None:
        return _("not done: the sequence is deleted")
    enrolment = mailings.start_sequence_for_deal(deal=deal, sequence=sequence)
    if enrolment is None:
        return _("not done: the client cannot take the sequence “%(name)s” (already on it, unsubscribed, no "
                 "address, or it is switched off)") % {"name": sequence.name}
    return _("sequence “%(name)s” started") % {"name": sequence.name}


def _stop_sequence(deal: Deal, stage: Stage, action: dict, event) -> str:
    sequence = Sequence.objects.filter(pk=action["sequence"]).first() if action.get("sequence") else None
    count = mailings.stop_for_client(client_id=deal.client_id, reason="action", sequence=sequence)
    return _("sequences stopped: %(n)s") % {"n": count}


def _team_member(action: dict) -> User | None:
    """The team's next active manager or lead in turn, or the least loaded one, from the team's turn in
    ``accounts`` (``team:<id>``, the same as a stage handed to the team); None when the team has nobody left."""
    return next_member(key=f"team:{int(action['team'])}", members=pool_members(team_id=int(action["team"])),
                       mode=action.get("mode", "round_robin"))


def _assign_owner(deal: Deal, stage: Stage, action: dict, event) -> str:
    if "team" in action:
        user = _team_member(action)
        if user is None:
            return _("not done: the team has no active manager or lead")
    else:
        user = User.objects.filter(pk=action["user"], is_active=True, is_system=False).first()
    if user is None:
        return _("not done: the user is deactivated")
    if user.pk == deal.owner_id:
        return _("%(user)s already owns the deal") % {"user": user}
    try:
        reassign_deal(actor=get_system_actor(), deal=deal, owner=user)
    except DomainError as exc:
        return _("not done: %(reason)s") % {"reason": exc.message}
    return _("deal given to %(user)s") % {"user": user}


def _webhook(deal: Deal, stage: Stage, action: dict, event) -> str:
    subscription = WebhookSubscription.objects.filter(pk=action["subscription"]).first()
    if subscription is None:
        return _("not done: the webhook subscription is deleted")
    queue_delivery_to(subscription=subscription, event=event)
    return _("webhook “%(name)s” called") % {"name": subscription.name}


def _set_field(deal: Deal, stage: Stage, action: dict, event) -> str:
    try:
        update_deal(actor=get_system_actor(), deal=deal, values={action["field"]: action["value"]})
    except DomainError as exc:
        return _("not done: %(reason)s") % {"reason": exc.message}
    return _("field “%(field)s” set") % {"field": action["field"]}


RUNNERS = {"notify": _notify, "send_email": _send_email, "start_sequence": _start_sequence,
           "stop_sequence": _stop_sequence, "assign_owner": _assign_owner, "webhook": _webhook,
           "set_field": _set_field}


@handles("stage.entered")
def run_stage_actions(event) -> None:
    data = event.payload.get("data") or {}
    deal = Deal.objects.select_related("owner", "owner_team__lead", "client", "stage").filter(
        pk=event.target_id).first()
    stage = Stage.objects.select_related("owner_user", "owner_team__lead").filter(pk=data.get("stage")).first()
    if deal is None or stage is None:
        return
    system = get_system_actor()
    done = set(Activity.objects.filter(deal=deal, data__event="stage_action", data__outbox=event.pk)
               .values_list("data__index", flat=True))
    for index, action in enumerate(data.get("actions") or []):
        if index in done or action.get("action") not in RUNNERS:
            continue
        deal.refresh_from_db()
        result = RUNNERS[action["action"]](deal, stage, {**action, "_index": index}, event)
        log_activity(kind=ActivityKind.SYSTEM, author=system, deal=deal,
                     body=_("Stage action “%(action)s”: %(result)s.") % {"action": action["action"], "result": result},
                     data={"event": "stage_action", "outbox": event.pk, "index": index, "action": action["action"]})
        logger.info("stage action run", extra={"deal_id": deal.pk, "action": action["action"]})
