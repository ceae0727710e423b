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
            "deal", "deal__stage", "deal__pipeline", "deal__client", "deal__contact", "client", "assignee").get(
            pk=task_id)
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
    # The three counts from one pass over the index range (status, due_date ≤ horizon), grouped by day: an
    # ordered index walk on both databases, where COUNT(...) FILTER over every open task was the page's
    # slowest query at 100k deals. A few hundred (date, n) rows at most; summed here.
    counts = {"overdue": 0, "today": 0, "upcoming": 0}
    for day, n in qs.filter(due_date__lte=horizon).order_by().values_list("due_date").annotate(n=Count("pk")):
        counts["overdue" if day < today else "today" if day == today else "upcoming"] += n

    def first(where: Q, *order) -> list[Task]:
        # The page's rows are picked by a narrow id subquery (the (status, due_date, due_time) index, no
        # joins), then only those rows are joined: thousands of tasks due today for a head sorted as ids,
        # not as six-table rows. One query per list, as before.
        ids = qs.filter(where).order_by(*order).values("pk")[:limit]
        return list(Task.objects.filter(pk__in=ids).select_related(
            "deal", "deal__stage", "deal__client", "deal__contact", "client", "assignee").order_by(*order))

    # Timed tasks in time order, untimed ones after them (the same on SQLite and PostgreSQL).
    by_time = F("due_time").asc(nulls_last=True)
    return MyDay(
        overdue=first(Q(due_date__lt=today), "due_date", by_time, "id"),
        today=first(Q(due_date=today), by_time, "id"),
        upcoming=first(Q(due_date__gt=today, due_date__lte=horizon), "due_date", by_time, "id"),
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


# --- the task section (/tasks/) ---------------------------------------------------------------------------

DUE_CHOICES = ("overdue", "today", "week", "range")
STATUS_CHOICES = ("open", "done", "cancelled", "all")
# Sort keys of the task list → ORDER BY (the id last, so pages never overlap).
TASK_SORTS: dict[str, tuple] = {
    "due": ("due_date", F("due_time").asc(nulls_last=True), "id"),
    "-due": ("-due_date", F("due_time").desc(nulls_last=True), "-id"),
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "kind": ("kind", "due_date", "id"),
    "-kind": ("-kind", "due_date", "id"),
    "assignee": ("assignee__last_name", "assignee__first_name", "assignee__username", "due_date", "id"),
    "-assignee": ("-assignee__last_name", "-assignee__first_name", "-assignee__username", "due_date", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
TASK_PAGE = 50


@dataclass
class TaskFilter:
    """The filters of the task section; an empty value means "any" (``status`` defaults to open)."""

    assignee: int | None = None
    kind: str = ""
    status: str = "open"
    due: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    pipeline: int | None = None
    stage: int | None = None

    def week_bounds(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """This calendar week, Monday to Sunday."""
        monday = today - dt.timedelta(days=today.weekday())
        return monday, monday + dt.timedelta(days=6)


def _filtered(qs: QuerySet[Task], filters: TaskFilter, *, today: dt.date, with_assignee: bool = True) -> QuerySet[Task]:
    if filters.status in ("open", "done", "cancelled"):
        qs = qs.filter(status=filters.status)
    if with_assignee and filters.assignee:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.due == "overdue":
        qs = qs.filter(due_date__lt=today, status=TaskStatus.OPEN)
    elif filters.due == "today":
        qs = qs.filter(due_date=today)
    elif filters.due == "week":
        start, end = filters.week_bounds(today)
        qs = qs.filter(due_date__gte=start, due_date__lte=end)
    elif filters.due == "range":
        if filters.due_from:
            qs = qs.filter(due_date__gte=filters.due_from)
        if filters.due_to:
            qs = qs.filter(due_date__lte=filters.due_to)
    if filters.stage:
        qs = qs.filter(deal__stage_id=filters.stage)
    elif filters.pipeline:
        qs = qs.filter(deal__pipeline_id=filters.pipeline)
    return qs


def list_tasks(*, actor: User, filters: TaskFilter | None = None, order: str = "due") -> QuerySet[Task]:
    """Every task the actor may see (``scope_q`` for tasks: his own, his team's, everyone's), filtered and
    sorted, with what a row renders (deal, stage, pipeline, client, contact, assignee) joined."""
    filters = filters or TaskFilter()
    qs = _filtered(visible_tasks(actor=actor), filters, today=timezone.localdate())
    return qs.select_related("deal", "deal__stage", "deal__pipeline", "deal__contact", "client",
                             "assignee").order_by(*TASK_SORTS.get(order, TASK_SORTS["due"]))


def list_tasks_page(*, actor: User, filters: TaskFilter | None = None, order: str = "due", page=None,
                    per_page: int = TASK_PAGE):
    """One page of :func:`list_tasks` (a COUNT and one SELECT, whatever the page)."""
    from django.core.paginator import Paginator

    return Paginator(list_tasks(actor=actor, filters=filters, order=order), per_page).get_page(page)


@dataclass
class AssigneeCount:
    assignee_id: int
    name: str
    open: int
    overdue: int
    today: int


def task_counts_by_assignee(*, actor: User, filters: TaskFilter | None = None) -> list[AssigneeCount]:
    """Open, overdue and today's open tasks per assignee, among the tasks the filters keep (the assignee
    filter aside, so the table compares people); one grouped query. Empty for a manager (own scope)."""
    if actor.scope_for(ObjectType.TASKS) == Scope.OWN:
        return []
    today = timezone.localdate()
    filters = filters or TaskFilter()
    qs = _filtered(visible_tasks(actor=actor), filters, today=today, with_assignee=False).filter(
        status=TaskStatus.OPEN)
    rows = qs.values("assignee_id", "assignee__first_name", "assignee__last_name", "assignee__username").annotate(
        open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)),
        today=Count("id", filter=Q(due_date=today)),
    ).order_by("-overdue", "-open", "assignee__username")
    result = []
    for row in rows:
        name = " ".join(p for p in (row["assignee__first_name"], row["assignee__last_name"]) if p)
        result.append(AssigneeCount(assignee_id=row["assignee_id"], name=name or row["assignee__username"],
                                    open=row["open"], overdue=row["overdue"], today=row["today"]))
    return result


def tasks_for_bulk(*, actor: User, ids: list[int]) -> list[Task]:
    """The open tasks among ``ids`` that the actor may see (the others are left out: hidden == missing)."""
    return list(visible_tasks(actor=actor).filter(pk__in=ids, status=TaskStatus.OPEN)
                .select_related("deal", "client", "assignee").order_by("pk"))


def my_task_counters(*, actor: User) -> dict[str, int]:
    """The top bar's counters: the actor's own open tasks overdue and due today (one query)."""
    today = timezone.localdate()
    return Task.objects.filter(assignee_id=actor.pk, status=TaskStatus.OPEN, due_date__lte=today).aggregate(
        overdue=Count("id", filter=Q(due_date__lt=today)), today=Count("id", filter=Q(due_date=today)))
