"""SLA monitors run by ``voronka tick``: overdue tasks, rotting deals, open deals without an open task.

Each finding is one occurrence with its own key, so running the monitors again (the same moment or later)
tells nobody twice: ``overdue:task:<id>:<due date>`` (a postponed task that becomes overdue again is a new
occurrence), ``rotting:deal:<id>:<stage>:<since>`` (a deal back on the stage later is new),
``notask:deal:<id>:<last task id>`` (a deal that gets a task and loses it again is new).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from voronka.activities.models import Task, TaskStatus
from voronka.automation.models import EventType, Notification
from voronka.automation.services import in_language, notify
from voronka.core.formatting import format_duration
from voronka.deals.models import Deal, DealStatus

logger = logging.getLogger(__name__)

CHUNK = 500


def _already(keys: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Of (recipient id, key) pairs, those already notified: one query, so a repeated run stays cheap."""
    keys = set(keys)
    names = sorted({key for _uid, key in keys})
    found: set[tuple[int, str]] = set()
    for start in range(0, len(names), CHUNK):  # SQLite caps the parameters of one statement
        found.update(Notification.objects.filter(dedupe_key__in=names[start:start + CHUNK])
                     .values_list("recipient_id", "dedupe_key"))
    return found & keys


def overdue_tasks(*, now: dt.datetime) -> int:
    """Open tasks whose due date has passed (or whose due time today has): their assignees."""
    local = timezone.localtime(now)
    tasks = list(Task.objects.filter(status=TaskStatus.OPEN, due_date__lte=local.date())
                 .select_related("assignee", "deal", "client").order_by("pk"))
    tasks = [t for t in tasks if t.due_date < local.date() or (t.due_time is not None and t.due_time < local.time())]
    pending = {(t.assignee_id, f"overdue:task:{t.pk}:{t.due_date.isoformat()}"): t for t in tasks}
    done = _already(pending)
    made = 0
    for (user_id, key), task in pending.items():
        if (user_id, key) in done:
            continue
        with in_language(task.assignee):
            title = _("Overdue task: %(task)s") % {"task": task.title}
            body = _("It was due %(due)s.") % {"due": date_format(task.due_date, "SHORT_DATE_FORMAT")}
        link = (reverse("deals:detail", args=[task.deal_id]) if task.deal_id
                else reverse("clients:detail", args=[task.client_id]) if task.client_id else reverse("web:my_day"))
        made += notify(recipient=task.assignee, event_type=EventType.TASK_OVERDUE, target=task, link_url=link,
                       title=title, body=body, dedupe_key=key) is not None
    return made


def rotting_deals(*, now: dt.datetime) -> int:
    """Open deals on a stage longer than its ``max_days``: their owners."""
    deals = (Deal.objects.filter(status=DealStatus.OPEN, is_archived=False, stage__max_days__isnull=False)
             .select_related("owner", "stage").order_by("pk"))
    pending = {}
    for deal in deals:
        if deal.stage_entered_at + dt.timedelta(days=deal.stage.max_days) < now:
            since = timezone.localtime(deal.stage_entered_at).date().isoformat()
            pending[(deal.owner_id, f"rotting:deal:{deal.pk}:{deal.stage_id}:{since}")] = deal
    done = _already(pending)
    made = 0
    for (user_id, key), deal in pending.items():
        if (user_id, key) in done:
            continue
        with in_language(deal.owner):
            title = _("Deal stuck on its stage: %(deal)s") % {"deal": deal.title}
            days = deal.stage.max_days
            body = ngettext("On the stage “%(stage)s” for more than %(days)s day.",
                            "On the stage “%(stage)s” for more than %(days)s days.", days) % {
                "stage": deal.stage.name, "days": days}
        made += notify(recipient=deal.owner, event_type=EventType.DEAL_ROTTING, target=deal,
                       link_url=reverse("deals:detail", args=[deal.pk]), title=title, body=body,
                       dedupe_key=key) is not None
    return made


def deals_without_task(*, now: dt.datetime) -> int:
    """Open deals with no open task (there should be none): the owner's team lead."""
    open_task = Task.objects.filter(deal=OuterRef("pk"), status=TaskStatus.OPEN)
    deals = (Deal.objects.filter(status=DealStatus.OPEN, is_archived=False, owner_team__lead__isnull=False)
             .filter(~Exists(open_task)).annotate(last_task=Max("tasks__id"))
             .select_related("owner", "owner_team__lead").order_by("pk"))
    pending = {}
    for deal in deals:
        lead = deal.owner_team.lead
        if lead.pk != deal.owner_id:
            pending[(lead.pk, f"notask:deal:{deal.pk}:{deal.last_task or 0}")] = deal
    done = _already(pending)
    made = 0
    for (user_id, key), deal in pending.items():
        if (user_id, key) in done:
            continue
        lead = deal.owner_team.lead
        with in_language(lead):
            title = _("Deal without a next step: %(deal)s") % {"deal": deal.title}
            body = _("%(owner)s has no open task on this deal.") % {"owner": deal.owner}
        made += notify(recipient=lead, event_type=EventType.DEAL_NO_TASK, target=deal,
                       link_url=reverse("deals:detail", args=[deal.pk]), title=title, body=body,
                       dedupe_key=key) is not None
    return made


def tasks_due_soon(*, now: dt.datetime) -> int:
    """Open timed tasks due within ``VORONKA_TASK_REMINDER_MINUTES``: a reminder to the assignee, once per due
    moment (``soon:task:<id>:<date>T<time>``; a task moved to another time is reminded again). A task whose
    time has passed is the overdue monitor's."""
    from django.conf import settings

    ahead = dt.timedelta(minutes=settings.VORONKA_TASK_REMINDER_MINUTES)
    local = timezone.localtime(now)
    until = local + ahead
    tasks = (Task.objects.filter(status=TaskStatus.OPEN, due_time__isnull=False,
                                 due_date__gte=local.date(), due_date__lte=until.date())
             .select_related("assignee").order_by("pk"))
    pending = {}
    for task in tasks:
        due = timezone.make_aware(dt.datetime.combine(task.due_date, task.due_time))
        if now < due <= now + ahead:
            pending[(task.assignee_id, f"soon:task:{task.pk}:{task.due_date.isoformat()}T{task.due_time}")] = (
                task, due)
    done = _already(pending)
    made = 0
    for (user_id, key), (task, due) in pending.items():
        if (user_id, key) in done:
            continue
        minutes = max(1, round((due - now).total_seconds() / 60))
        with in_language(task.assignee):
            title = _("Due soon: %(task)s") % {"task": task.title}
            body = ngettext("Due at %(time)s, in %(minutes)s minute.", "Due at %(time)s, in %(minutes)s minutes.",
                            minutes) % {"time": time_format(timezone.localtime(due).time(), "TIME_FORMAT"),
                                        "minutes": minutes}
        made += notify(recipient=task.assignee, event_type=EventType.TASK_DUE_SOON, target=task,
                       link_url=_task_link(task), title=title, body=body, dedupe_key=key) is not None
    return made


def _task_link(task: Task) -> str:
    return (reverse("deals:detail", args=[task.deal_id]) if task.deal_id
            else reverse("clients:detail", args=[task.client_id]) if task.client_id else reverse("web:my_day"))


HANDOFF_LOOKBACK = dt.timedelta(days=7)  # older hand-offs are no longer chased


def handoffs_not_accepted(*, now: dt.datetime) -> int:
    """Conveyor hand-offs the new owner has not acted on (no task of the deal completed by him, no move by
    him) within ``VORONKA_HANDOFF_ACCEPT_MINUTES``: his team lead is told, once per hand-off
    (``accept:handoff:<timeline entry id>``). A deal closed or owned by someone else since is left alone."""
    from django.conf import settings
    from django.db.models import Q

    from voronka.accounts.models import User
    from voronka.activities.models import Activity, ActivityKind
    from voronka.deals.models import StageTransition

    limit = now - dt.timedelta(minutes=settings.VORONKA_HANDOFF_ACCEPT_MINUTES)
    entries = list(Activity.objects.filter(kind=ActivityKind.SYSTEM, deal__isnull=False, at__lte=limit,
                                           at__gte=limit - HANDOFF_LOOKBACK, data__event="handoff")
                   .select_related("deal").order_by("pk"))
    candidates = [e for e in entries if e.deal.status == DealStatus.OPEN and e.deal.owner_id == e.data.get("to")]
    if not candidates:
        return 0
    owners = {u.pk: u for u in User.objects.filter(pk__in={e.deal.owner_id for e in candidates})
              .select_related("team__lead")}
    acted_q = Q()
    for e in candidates:
        acted_q |= Q(deal_id=e.deal_id, at__gt=e.at)
    moved = set(StageTransition.objects.filter(acted_q).values_list("deal_id", "by_user_id", "at"))
    done_tasks = set(Task.objects.filter(status=TaskStatus.DONE, deal_id__in={e.deal_id for e in candidates},
                                         completed_at__gt=min(e.at for e in candidates))
                     .values_list("deal_id", "completed_by_id", "completed_at"))
    pending = {}
    for e in candidates:
        owner = owners.get(e.deal.owner_id)
        lead = owner.team.lead if owner is not None and owner.team_id else None
        if lead is None or lead.pk == owner.pk:
            continue
        acted = any(d == e.deal_id and u == owner.pk and at > e.at for d, u, at in moved) or any(
            d == e.deal_id and u == owner.pk and at and at > e.at for d, u, at in done_tasks)
        if not acted:
            pending[(lead.pk, f"accept:handoff:{e.pk}")] = (e, owner, lead)
    done = _already(pending)
    made = 0
    for (user_id, key), (entry, owner, lead) in pending.items():
        if (user_id, key) in done:
            continue
        deal = entry.deal
        with in_language(lead):
            idle = format_duration(settings.VORONKA_HANDOFF_ACCEPT_MINUTES * 60)
            title = _("Hand-off not taken up: %(deal)s") % {"deal": deal.title}
            body = _("%(owner)s got this deal %(when)s and has not acted on it for %(idle)s "
                     "(no task completed, no move).") % {
                "owner": owner, "when": date_format(timezone.localtime(entry.at), "SHORT_DATETIME_FORMAT"),
                "idle": idle}
        made += notify(recipient=lead, event_type=EventType.HANDOFF_NOT_ACCEPTED, target=deal,
                       link_url=reverse("deals:detail", args=[deal.pk]), title=title, body=body,
                       dedupe_key=key) is not None
    return made


def run_monitors(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every monitor once for ``now``: the notifications each created."""
    now = now or timezone.now()
    made = {"overdue tasks": overdue_tasks(now=now), "rotting deals": rotting_deals(now=now),
            "deals without a task": deals_without_task(now=now), "tasks due soon": tasks_due_soon(now=now),
            "hand-offs not taken up": handoffs_not_accepted(now=now)}
    if any(made.values()):
        logger.info("monitors notified", extra=made)
    return made
