"""Reads of tasks and timelines, scoped to the actor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import ObjectType, Scope, User
from voronka.accounts.permissions import pipeline_q, scope_q
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


def _assignees_in_scope(actor: User) -> Q:
    """Tasks assigned to the people the actor oversees: himself, his team (lead) or everyone (head).

    Filtering on the assignee alone (not on the deal owner as ``visible_tasks`` does) lets the database
    use the (assignee, status, due_date) index: My day is about who has to do the work.
    """
    scope = actor.scope_for(ObjectType.TASKS)
    if scope == Scope.ALL:
        return Q()
    if scope == Scope.TEAM and actor.team_id:
        team = User.objects.filter(team_id=actor.team_id).values("pk")
        return Q(assignee_id__in=team) | Q(assignee_id=actor.pk)
    return Q(assignee_id=actor.pk)


def my_day(*, actor: User, assignee: int | None = None, upcoming_days: int = 7, limit: int = 25) -> MyDay:
    """Open tasks of the actor (a lead or head: of the people in scope, optionally one of them)."""
    today = timezone.localdate()
    qs = Task.objects.filter(_assignees_in_scope(actor), pipeline_q(actor, "activities.Task"), status=TaskStatus.OPEN)
    if assignee and actor.scope_for(ObjectType.TASKS) != Scope.OWN:
        qs = qs.filter(assignee_id=assignee)
    horizon = today + dt.timedelta(days=upcoming_days)
    counts = qs.aggregate(
        overdue=Count("id", filter=Q(due_date__lt=today)),
        today=Count("id", filter=Q(due_date=today)),
        upcoming=Count("id", filter=Q(due_date__gt=today, due_date__lte=horizon)),
    )
    rows = qs.select_related("deal", "deal__stage", "deal__client", "client", "assignee")
    # Timed tasks in time order, untimed ones after them (the same on SQLite and PostgreSQL).
    by_time = F("due_time").asc(nulls_last=True)
    return MyDay(
        overdue=list(rows.filter(due_date__lt=today).order_by("due_date", by_time, "id")[:limit]),
        today=list(rows.filter(due_date=today).order_by(by_time, "id")[:limit]),
        upcoming=list(rows.filter(due_date__gt=today, due_date__lte=horizon).order_by("due_date", by_time,
                                                                                      "id")[:limit]),
        counts=counts,
    )


def deal_needs_next_task(*, task: Task) -> bool:
    """Completing ``task`` with a result must set a next task: its deal is open and has no other open task."""
    deal = task.deal
    if deal is None or not deal.is_open or task.status != TaskStatus.OPEN:
        return False
    return not Task.objects.filter(deal_id=deal.pk, status=TaskStatus.OPEN).exclude(pk=task.pk).exists()


def timeline_entries(*, deal=None, client=None) -> QuerySet[Activity]:
    """Timeline entries of a deal (or of a client, with its deals' entries) with their author and deal; the
    caller has already resolved ``deal``/``client`` through a scoped selector."""
    qs = Activity.objects.filter(deal=deal) if deal is not None else Activity.objects.filter(client=client)
    return qs.select_related("author", "deal")


def timeline_of(*, deal=None, client=None, limit: int = 200) -> list[Activity]:
    """:func:`timeline_entries`, newest first."""
    return list(timeline_entries(deal=deal, client=client).order_by("-at", "-id")[:limit])
