"""Reads of tasks and timelines, scoped to the actor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Scope, User
from voronka.accounts.permissions import scope_q
from voronka.activities.models import Activity, Task, TaskStatus
from voronka.core.errors import NotFound


def visible_tasks(*, actor: User) -> QuerySet[Task]:
    return Task.objects.filter(scope_q(actor, "activities.Task"))


def get_task(*, actor: User, task_id: int) -> Task:
    try:
        return visible_tasks(actor=actor).select_related(
            "deal", "deal__stage", "deal__pipeline", "deal__client", "client", "assignee").get(pk=task_id)
    except (Task.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Task not found.")) from exc


@dataclass
class MyDay:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    counts: dict[str, int]


def my_day(*, actor: User, assignee: int | None = None, upcoming_days: int = 7, limit: int = 100) -> MyDay:
    """Open tasks of the actor (a lead or head: of the people in scope, optionally one of them)."""
    today = timezone.localdate()
    qs = visible_tasks(actor=actor).filter(status=TaskStatus.OPEN)
    if actor.scope == Scope.OWN:
        qs = qs.filter(assignee=actor)
    elif assignee:
        qs = qs.filter(assignee_id=assignee)
    horizon = today + dt.timedelta(days=upcoming_days)
    counts = qs.aggregate(
        overdue=Count("id", filter=Q(due_date__lt=today)),
        today=Count("id", filter=Q(due_date=today)),
        upcoming=Count("id", filter=Q(due_date__gt=today, due_date__lte=horizon)),
    )
    rows = qs.select_related("deal", "deal__stage", "deal__client", "client", "assignee")
    return MyDay(
        overdue=list(rows.filter(due_date__lt=today).order_by("due_date", "due_time", "id")[:limit]),
        today=list(rows.filter(due_date=today).order_by("due_time", "id")[:limit]),
        upcoming=list(rows.filter(due_date__gt=today, due_date__lte=horizon).order_by("due_date", "due_time",
                                                                                      "id")[:limit]),
        counts=counts,
    )


def client_timeline(*, client, limit: int = 200) -> list[Activity]:
    return list(Activity.objects.filter(client=client).select_related("author", "deal").order_by("-at", "-id")[:limit])
