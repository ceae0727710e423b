"""Domain events that notify someone: hand-offs, assignments by others, new leads, a team's lost deals.

They run in the dispatch transaction (``voronka.events.dispatch``): the notification rows commit with the
event's "dispatched" mark; emails go after commit. Each occurrence's key carries the event id, so a
re-dispatched event notifies once.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.activities.models import Task
from voronka.automation.models import EventType
from voronka.automation.services import in_language as _lang
from voronka.automation.services import notify
from voronka.deals.models import Deal
from voronka.events.registry import handles


def _deal(event, pk=None) -> Deal | None:
    pk = pk if pk is not None else event.target_id
    return Deal.objects.select_related("owner", "owner_team__lead", "stage", "client").filter(pk=pk).first()


def _deal_link(deal: Deal) -> str:
    return reverse("deals:detail", args=[deal.pk])


def _changed_to(event, field: str):
    pair = (event.payload.get("changes") or {}).get(field)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


def _tell_new_owner(event, deal: Deal, *, kind: str) -> None:
    owner = deal.owner
    if owner is None or owner.pk == event.actor_id:
        return
    with _lang(owner):
        title = _("Deal handed to you: %(deal)s") % {"deal": deal.title}
        body = (_("%(actor)s moved it to the stage “%(stage)s”; it is yours now.")
                if kind == "handoff" else _("%(actor)s made you the owner of this deal."))
        body = body % {"actor": event.actor or _("Voronka"), "stage": deal.stage.name}
    notify(recipient=owner, event_type=EventType.DEAL_HANDED, target=deal, link_url=_deal_link(deal),
           title=title, body=body, dedupe_key=f"{kind}:deal:{deal.pk}:event:{event.pk}")


@handles("deal.moved", "deal.pipeline_changed")
def deal_handed_off(event) -> None:
    """The conveyor gave the deal to its stage's owner."""
    if not (event.payload.get("data") or {}).get("handed_off"):
        return
    if (deal := _deal(event)) is not None:
        _tell_new_owner(event, deal, kind="handoff")


@handles("deal.reassigned")
def deal_reassigned(event) -> None:
    """Someone else made the user the deal's owner."""
    new_owner = _changed_to(event, "owner")
    deal = _deal(event)
    if deal is not None and new_owner == deal.owner_id:
        _tell_new_owner(event, deal, kind="reassigned")


@handles("task.created", "task.reassigned")
def task_assigned(event) -> None:
    """A task given to the user by someone else (his own tasks need no notice)."""
    task = (Task.objects.select_related("assignee", "deal", "client").filter(pk=event.target_id).first())
    if task is None or task.assignee_id == event.actor_id:
        return
    expected = (event.payload.get("data") or {}).get("assignee") if event.verb == "task.created" \
        else _changed_to(event, "assignee")
    if expected != task.assignee_id:  # reassigned again since: that later event tells the new assignee
        return
    assignee = task.assignee
    with _lang(assignee):
        title = _("Task for you: %(task)s") % {"task": task.title}
        body = _("%(actor)s gave you a task due %(due)s.") % {"actor": event.actor or _("Voronka"),
                                                             "due": task.due_date.isoformat()}
    link = (reverse("deals:detail", args=[task.deal_id]) if task.deal_id
            else reverse("clients:detail", args=[task.client_id]) if task.client_id else reverse("web:my_day"))
    notify(recipient=assignee, event_type=EventType.TASK_ASSIGNED, target=task, link_url=link, title=title,
           body=body, dedupe_key=f"assigned:task:{task.pk}:event:{event.pk}")


@handles("form.submitted", "call.logged", "email.received")
def new_lead(event) -> None:
    """A web form, a call or a letter opened a new deal: its owner hears of it."""
    data = event.payload.get("data") or {}
    if event.verb == "form.submitted":
        deal_id = event.target_id
    elif data.get("new_lead") and data.get("deal"):
        deal_id = data["deal"]
    else:
        return
    deal = _deal(event, deal_id)
    if deal is None or deal.owner_id == event.actor_id:
        return
    source = {"form.submitted": _("a web form"), "call.logged": _("a call"),
              "email.received": _("an email")}
    with _lang(deal.owner):
        title = _("New lead: %(deal)s") % {"deal": deal.title}
        body = _("A new lead from %(source)s, client %(client)s.") % {"source": source[event.verb],
                                                                      "client": deal.client.name}
    notify(recipient=deal.owner, event_type=EventType.NEW_LEAD, target=deal, link_url=_deal_link(deal),
           title=title, body=body, dedupe_key=f"lead:deal:{deal.pk}")


@handles("deal.lost")
def team_deal_lost(event) -> None:
    """A deal of the lead's team was lost: he hears of it with the reason."""
    deal = _deal(event)
    if deal is None or deal.owner_team is None or deal.owner_team.lead is None:
        return
    lead = deal.owner_team.lead
    if lead.pk == event.actor_id:
        return
    with _lang(lead):
        title = _("Deal lost: %(deal)s") % {"deal": deal.title}
        body = _("%(owner)s lost it: %(reason)s. %(comment)s") % {
            "owner": deal.owner, "reason": deal.lost_reason or "", "comment": deal.lost_comment}
    notify(recipient=lead, event_type=EventType.DEAL_LOST, target=deal, link_url=_deal_link(deal),
           title=title, body=body.strip(), dedupe_key=f"lost:deal:{deal.pk}:event:{event.pk}")


@handles("webhook.paused")
def webhook_paused(event) -> None:
    """A subscription stopped sending (repeated failures, or another administrator): every administrator."""
    reason = (event.payload.get("data") or {}).get("reason") or ""
    admins = User.objects.filter(is_active=True, is_system=False, role=Role.ADMIN).exclude(pk=event.actor_id)
    for admin in admins.order_by("pk"):
        with _lang(admin):
            title = _("Webhook subscription paused")
            body = _("Deliveries wait until it is resumed. %(reason)s") % {"reason": reason}
        notify(recipient=admin, event_type=EventType.WEBHOOK_PAUSED, title=title, body=body.strip(),
               link_url=reverse("settings:webhook", args=[event.target_id]),
               dedupe_key=f"paused:webhook:{event.target_id}:event:{event.pk}")
