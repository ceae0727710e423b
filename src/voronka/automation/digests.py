"""The daily emails, opt-in per user (notification preferences): a manager's day (his overdue tasks, today's
tasks, his deals stuck past their stage's limit) and the morning summary of a lead or head (the same counts
over what his scope shows, per manager). One per user per day (``digest:<date>``, ``summary:<date>``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.accounts.permissions import scope_q
from voronka.activities.models import Task, TaskStatus
from voronka.automation.models import Delivery, EventType, NotificationPreference
from voronka.automation.services import in_language, notify
from voronka.deals.models import Deal, DealStatus

LIST_MAX = 10


def _subscribers(event_type: str, roles: tuple[str, ...] | None = None):
    ids = (NotificationPreference.objects.filter(event_type=event_type)
           .exclude(delivery=Delivery.NONE).values_list("user_id", flat=True))
    users = User.objects.filter(pk__in=ids, is_active=True, is_system=False)
    if roles:
        users = users.filter(role__in=roles)
    return users.order_by("pk")


def _late_q(local: dt.datetime) -> Q:
    return Q(due_date__lt=local.date()) | Q(due_date=local.date(), due_time__lt=local.time())


def _rotting(deals, now: dt.datetime) -> list[Deal]:
    out = []
    for deal in deals.filter(status=DealStatus.OPEN, is_archived=False, stage__max_days__isnull=False):
        if deal.stage_entered_at + dt.timedelta(days=deal.stage.max_days) < now:
            out.append(deal)
    return out


def _lines(title: str, items: list[str], total: int) -> list[str]:
    out = [f"{title}: {total}"]
    out += [f"  - {item}" for item in items[:LIST_MAX]]
    if total > LIST_MAX:
        out.append("  " + _("… and %(n)s more") % {"n": total - LIST_MAX})
    return out


def _task_line(task: Task) -> str:
    when = task.due_date.isoformat() + (f" {task.due_time.strftime('%H:%M')}" if task.due_time else "")
    return f"{when} {task.title}" + (f" ({task.deal.title})" if task.deal_id else "")


def daily_digests(*, now: dt.datetime) -> int:
    """Each subscriber's day, in his language; how many were written (and so mailed)."""
    local = timezone.localtime(now)
    made = 0
    for user in _subscribers(EventType.DAILY_DIGEST):
        tasks = Task.objects.filter(assignee=user, status=TaskStatus.OPEN).select_related("deal")
        late = list(tasks.filter(_late_q(local)).order_by("due_date", "due_time", "pk"))
        today = list(tasks.filter(due_date=local.date()).exclude(_late_q(local)).order_by("due_time", "pk"))
        stuck = _rotting(Deal.objects.filter(owner=user).select_related("stage").order_by("stage_entered_at"), now)
        with in_language(user):
            title = _("Your day, %(date)s") % {"date": local.date().isoformat()}
            body = "\n".join([
                *_lines(_("Overdue tasks"), [_task_line(t) for t in late], len(late)), "",
                *_lines(_("Tasks for today"), [_task_line(t) for t in today], len(today)), "",
                *_lines(_("Deals past their stage's limit"),
                        [f"{d.title} ({d.stage.name})" for d in stuck], len(stuck))])
        made += notify(recipient=user, event_type=EventType.DAILY_DIGEST, title=title, body=body,
                       link_url="/", dedupe_key=f"digest:{local.date().isoformat()}") is not None
    return made


def morning_summaries(*, now: dt.datetime) -> int:
    """Each subscribed lead's or head's morning: per manager in his scope, overdue and today's tasks and stuck
    deals, and yesterday's won and lost deals."""
    local = timezone.localtime(now)
    yesterday = local.date() - dt.timedelta(days=1)
    made = 0
    for user in _subscribers(EventType.MORNING_SUMMARY, roles=(Role.LEAD, Role.HEAD, Role.ADMIN)):
        tasks = Task.objects.filter(scope_q(user, "activities.Task"), status=TaskStatus.OPEN)
        late = Counter(tasks.filter(_late_q(local)).values_list("assignee_id", flat=True))
        today = Counter(tasks.filter(due_date=local.date()).exclude(_late_q(local))
                        .values_list("assignee_id", flat=True))
        deals = Deal.objects.filter(scope_q(user, "deals.Deal"))
        stuck = Counter(d.owner_id for d in _rotting(deals.select_related("stage"), now))
        closed = deals.filter(closed_at__date=yesterday)
        won = closed.filter(status=DealStatus.WON).count()
        lost = closed.filter(status=DealStatus.LOST).count()
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=set(late) | set(today) | set(stuck))}
        people = sorted(names, key=lambda pk: names[pk])
        with in_language(user):
            title = _("Morning summary, %(date)s") % {"date": local.date().isoformat()}
            rows = [_("%(who)s: overdue %(late)s, today %(today)s, stuck deals %(stuck)s") % {
                "who": names[who], "late": late[who], "today": today[who], "stuck": stuck[who]} for who in people]
            body = "\n".join([
                _("Overdue tasks: %(n)s") % {"n": sum(late.values())},
                _("Tasks for today: %(n)s") % {"n": sum(today.values())},
                _("Deals past their stage's limit: %(n)s") % {"n": sum(stuck.values())},
                _("Yesterday: %(won)s won, %(lost)s lost") % {"won": won, "lost": lost}, "",
                *rows])
        made += notify(recipient=user, event_type=EventType.MORNING_SUMMARY, title=title, body=body,
                       link_url="/", dedupe_key=f"summary:{local.date().isoformat()}") is not None
    return made
