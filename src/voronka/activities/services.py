"""Tasks with enforced outcomes, and the timeline.

Every contact ends in an outcome: a Result (the deal goes on, so a next task is due unless the deal
closes), a Postpone (a new date, the follow-up task is created) or a Refusal (a reason: the deal is lost,
or the client goes to the refusal list).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import ObjectType, Scope, User
from voronka.accounts.permissions import require_assignable, require_perm
from voronka.activities.models import Activity, ActivityKind, Outcome, Task, TaskKind, TaskStatus
from voronka.audit.services import diff
from voronka.catalog.models import LostReason
from voronka.catalog.selectors import lost_reason_from
from voronka.clients.services import refuse_client
from voronka.core.errors import DomainError, Forbidden, MissingFields
from voronka.core.validation import COMMENT_MAX, NOTES_MAX, check_text, clean_or_raise
from voronka.events.services import record_event

logger = logging.getLogger(__name__)

TASK_SPEC_KEYS = {"title", "kind", "due_date", "due_time", "assignee"}

# How a Refusal closes an open deal: deals sits above activities (docs/architecture.md), so the deals app
# hands its ``lose_deal`` in at start-up (DealsConfig.ready) instead of this module importing it.
_deal_refusal: Callable[..., Any] | None = None


def set_deal_refusal(close: Callable[..., Any]) -> None:
    """Register ``close(actor=, deal=, reason=, comment=)``, called in the task's transaction."""
    global _deal_refusal
    _deal_refusal = close


def _close_refused_deal(*, actor: User, deal, reason: LostReason, comment: str) -> None:
    if _deal_refusal is None:
        raise DomainError(_("Deals cannot be closed here: the deals app is not installed."), field="outcome")
    _deal_refusal(actor=actor, deal=deal, reason=reason, comment=comment)


def log_activity(*, kind: str, author: User | None, deal=None, client=None, body: str = "",
                 data: dict | None = None, at: dt.datetime | None = None) -> Activity:
    """Append a timeline entry (internal: callers check permissions)."""
    if deal is not None and client is None:
        client = deal.client
    return Activity.objects.create(kind=kind, deal=deal, client=client, author=author, body=body,
                                   data=data or {}, at=at or timezone.now())


def _parse_due(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value in (None, ""):
        raise DomainError(_("Choose the due date."), field=field)
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise DomainError(_("Enter the date as YYYY-MM-DD."), field=field) from exc


def _parse_due_time(value: Any, field: str) -> dt.time | None:
    """A wall-clock time in the installation's time zone (HH:MM[:SS]); an offset ("10:00Z") is refused."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.time):
        time = value
    else:
        try:
            time = dt.time.fromisoformat(str(value))
        except ValueError as exc:
            raise DomainError(_("Enter the time as HH:MM."), field=field) from exc
    if time.tzinfo is not None:
        raise DomainError(_("Enter the time without a time zone: it is the installation's local time."),
                          field=field)
    return time


def _task_target(*, actor: User, deal, client) -> tuple[Any, Any]:
    """The deal and client of a task or timeline entry: the one written to is within the actor's scope
    (``require_perm``), and a client given with a deal must be that deal's client."""
    if deal is None and client is None:
        raise DomainError(_("A task belongs to a deal or a client."), field="deal")
    if deal is not None and client is not None and client.pk != deal.client_id:
        raise DomainError(_("The client is not the deal's client."), field="client")
    require_perm(actor, "change", deal if deal is not None else client)
    return deal, client if client is not None else deal.client


def build_task(*, actor: User, spec: dict[str, Any], deal=None, client=None, field_prefix: str = "",
               keep_assignee: User | None = None, first: bool = False) -> Task:
    """An unsaved, validated task from a spec dict (title, kind, due_date, due_time, assignee).

    ``first`` (the first task of a new or reopened deal): a due date before today is refused, as Postpone
    refuses a past contact date; automation (the system actor, which may run for a past moment) is exempt.

    An explicit assignee must be within the actor's scope (``require_assignable``); without one the task
    goes to the deal's owner, or to the actor for a client task. ``keep_assignee`` (an edit that does not
    change the assignee) is taken as it is.
    """
    if not isinstance(spec, dict):
        raise DomainError(_("Describe the task."), field=f"{field_prefix}title")
    unknown = set(spec) - TASK_SPEC_KEYS
    if unknown:
        raise DomainError(_("Unknown task fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    title = str(spec.get("title") or "").strip()
    if not title:
        raise DomainError(_("Enter what has to be done."), field=f"{field_prefix}title")
    kind = spec.get("kind") or TaskKind.CALL
    if kind not in TaskKind.values:
        raise DomainError(_("Unknown task type."), field=f"{field_prefix}kind")
    due_date = _parse_due(spec.get("due_date"), f"{field_prefix}due_date")
    if first and not actor.is_system and due_date < timezone.localdate():
        raise DomainError(_("The first task cannot be in the past: choose today or a later date."),
                          field=f"{field_prefix}due_date", code="past_date")
    due_time = _parse_due_time(spec.get("due_time"), f"{field_prefix}due_time")
    assignee = spec.get("assignee")
    if keep_assignee is not None:
        assignee = keep_assignee
    elif assignee in (None, ""):
        # The deal's owner (whoever the conveyor gave it to), or the actor himself for a client task.
        assignee = deal.owner if deal is not None else actor
        if deal is None:
            require_assignable(actor, assignee, field=f"{field_prefix}assignee")
    else:
        if not isinstance(assignee, User):
            found = (User.objects.filter(pk=assignee, is_active=True, is_system=False).first()
                     if str(assignee).isascii() and str(assignee).isdigit() else None)
            if found is None:
                raise DomainError(_("Unknown assignee."), field=f"{field_prefix}assignee")
            assignee = found
        require_assignable(actor, assignee, field=f"{field_prefix}assignee")
    if client is not None and deal is not None and client.pk != deal.client_id:
        raise DomainError(_("The client is not the deal's client."), field=f"{field_prefix}client")
    task = Task(deal=deal, client=client if client is not None else (deal.client if deal else None),
                assignee=assignee, kind=kind, title=title, due_date=due_date, due_time=due_time,
                created_by=actor, created_at=timezone.now())
    clean_or_raise(task, exclude=["deal", "client", "assignee", "created_by", "follow_up", "lost_reason",
                                  "completed_by"])
    return task


@transaction.atomic
def create_task(*, actor: User, deal=None, client=None, **spec: Any) -> Task:
    deal, client = _task_target(actor=actor, deal=deal, client=client)
    task = build_task(actor=actor, spec=spec, deal=deal, client=client)
    task.save()
    record_event(actor=actor, verb="task.created", target=task,
                 data={"deal": task.deal_id, "client": task.client_id, "assignee": task.assignee_id})
    return task


def open_tasks_of(deal) -> int:
    return Task.objects.filter(deal=deal, status=TaskStatus.OPEN).count()


def cancel_open_tasks(*, actor: User | None, deal, reason: str) -> int:
    """Close the deal's open tasks when the deal itself closes (internal)."""
    return Task.objects.filter(deal=deal, status=TaskStatus.OPEN).update(
        status=TaskStatus.CANCELLED, completed_at=timezone.now(), completed_by=actor, outcome_comment=reason)


def reassign_open_tasks(*, deal, from_user: User | None, to_user: User) -> int:
    qs = Task.objects.filter(deal=deal, status=TaskStatus.OPEN)
    if from_user is not None:
        qs = qs.filter(assignee=from_user)
    return qs.update(assignee=to_user)


def hand_over_open_tasks(*, actor: User, from_user: User, to_user: User) -> int:
    """Give every open task still assigned to ``from_user`` to ``to_user`` (a deactivation hand-over).

    The caller has checked both people; each task's change is audited.
    """
    tasks = list(Task.objects.select_for_update().filter(assignee=from_user, status=TaskStatus.OPEN).order_by("pk"))
    for task in tasks:
        task.assignee = to_user
        task.save(update_fields=["assignee"])
        record_event(actor=actor, verb="task.reassigned", target=task, changes={"assignee": (from_user, to_user)})
    return len(tasks)


def _lock_deal_of(task: Task) -> None:
    """Lock the task's deal row before the task (``SELECT ... FOR UPDATE``), as the deal services do.

    "An open deal has an open task" spans several task rows: two concurrent Result completions of a deal's
    last two tasks would each see the other task still open. Serialising on the deal makes the second one
    see the first one's commit. The order deal, then task, is the one every deal service takes.
    """
    deal_id = Task.objects.filter(pk=task.pk).values_list("deal_id", flat=True).first()
    if deal_id is not None:
        deal_model = Task._meta.get_field("deal").related_model
        list(deal_model.objects.select_for_update().filter(pk=deal_id).values_list("pk", flat=True))


@transaction.atomic
def complete_task(*, actor: User, task: Task, outcome: str, comment: str,
                  next_task: dict[str, Any] | None = None, postpone_to: dt.date | str | None = None,
                  lost_reason: LostReason | None = None, lost_comment: str = "", log_call: bool = False) -> Task:
    """Complete a task with its outcome; see the module docstring for the rules.

    ``log_call`` (a call task only) also writes the call on the timeline, with the comment as its text.
    """
    _lock_deal_of(task)
    # ``of=("self",)``: lock the task row only (PostgreSQL refuses FOR UPDATE on the nullable side of a join).
    task = Task.objects.select_for_update(of=("self",)).select_related(
        "deal", "deal__stage", "deal__client", "client").get(pk=task.pk)
    require_perm(actor, "change", task)
    if log_call and task.kind != TaskKind.CALL:
        raise DomainError(_("Only a call task logs a call."), field="log_call")
    if task.status != TaskStatus.OPEN:
        raise DomainError(_("The task is already closed."), field="task", code="task_closed")
    if outcome not in Outcome.values:
        raise DomainError(_("Choose the outcome: result, postpone or refusal."), field="outcome")
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("Describe the outcome in a comment."), field="comment")
    check_text(comment, field="comment", limit=COMMENT_MAX)
    check_text(lost_comment or "", field="lost_comment", limit=COMMENT_MAX)
    deal = task.deal
    now = timezone.now()
    task.status = TaskStatus.DONE
    task.outcome = outcome
    task.outcome_comment = comment
    task.completed_at = now
    task.completed_by = actor
    follow_up: Task | None = None

    if outcome == Outcome.RESULT:
        if next_task:
            follow_up = build_task(actor=actor, spec=next_task, deal=deal, client=task.client,
                                   field_prefix="next_")
        elif deal is not None and deal.is_open and open_tasks_of(deal) <= 1:
            raise MissingFields(_("The deal stays open: set the next task."), field="next_title",
                                fields=["next_title", "next_due_date"])
    elif outcome == Outcome.POSTPONE:
        if postpone_to in (None, ""):
            raise DomainError(_("Choose the new contact date."), field="postpone_to")
        new_date = _parse_due(postpone_to, "postpone_to")
        if new_date < timezone.localdate():
            raise DomainError(_("The new contact date cannot be in the past."), field="postpone_to")
        follow_up = Task(deal=deal, client=task.client, assignee=task.assignee, kind=task.kind, title=task.title,
                         due_date=new_date, due_time=task.due_time, created_by=actor, created_at=now)
    else:
        if lost_reason is None:
            raise DomainError(_("Choose the refusal reason."), field="lost_reason")
        lost_reason = lost_reason_from(lost_reason, unknown=_("Unknown refusal reason."))
        task.lost_reason = lost_reason

    if follow_up is not None:
        follow_up.save()
        task.follow_up = follow_up
    task.save()
    if log_call:
        log_activity(kind=ActivityKind.CALL, author=actor, deal=deal, client=task.client, body=comment,
                     data={"task": task.pk}, at=now)
    log_activity(kind=ActivityKind.TASK, author=actor, deal=deal, client=task.client,
                 body=f"{task.title}: {comment}", data={"task": task.pk, "outcome": outcome}, at=now)

    if outcome == Outcome.REFUSAL:
        if deal is not None and deal.is_open:
            _close_refused_deal(actor=actor, deal=deal, reason=lost_reason, comment=lost_comment or comment)
        elif deal is None and task.client is not None:
            # a client task's refusal leaves the client's deals to their own tasks and outcomes
            refuse_client(actor=actor, client=task.client, reason=lost_reason, comment=lost_comment or comment,
                          open_deals="keep")
    record_event(actor=actor, verb=f"task.{outcome}", target=task,
                 data={"outcome": outcome, "deal": task.deal_id, "follow_up": task.follow_up_id})
    logger.info("task completed", extra={"task_id": task.pk, "outcome": outcome})
    return task


@transaction.atomic
def cancel_task(*, actor: User, task: Task, comment: str = "") -> Task:
    _lock_deal_of(task)
    task = Task.objects.select_for_update(of=("self",)).select_related("deal").get(pk=task.pk)
    require_perm(actor, "change", task)
    if task.status != TaskStatus.OPEN:
        raise DomainError(_("The task is already closed."), field="task", code="task_closed")
    if task.deal is not None and task.deal.is_open and open_tasks_of(task.deal) <= 1:
        raise DomainError(_("This is the last open task of an open deal: complete it with an outcome instead."),
                          field="task", code="last_task")
    task.status = TaskStatus.CANCELLED
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.outcome_comment = check_text(comment or "", field="comment", limit=COMMENT_MAX)
    task.save(update_fields=["status", "completed_at", "completed_by", "outcome_comment"])
    record_event(actor=actor, verb="task.cancelled", target=task)
    return task


@transaction.atomic
def update_task(*, actor: User, task: Task, **spec: Any) -> Task:
    """Change title, type, due date/time or assignee of an open task."""
    require_perm(actor, "change", task)
    if task.status != TaskStatus.OPEN:
        raise DomainError(_("The task is already closed."), field="task", code="task_closed")
    merged = {"title": task.title, "kind": task.kind, "due_date": task.due_date, "due_time": task.due_time, **spec}
    new_assignee = merged.get("assignee")
    unchanged_assignee = new_assignee in (None, "") or getattr(new_assignee, "pk", new_assignee) in (
        task.assignee_id, str(task.assignee_id))
    if unchanged_assignee:
        merged.pop("assignee", None)
    fresh = build_task(actor=actor, spec=merged, deal=task.deal, client=task.client,
                       keep_assignee=task.assignee if unchanged_assignee else None)
    fields = ("title", "kind", "due_date", "due_time", "assignee")
    before = {field: getattr(task, field) for field in fields}
    for field in fields:
        setattr(task, field, getattr(fresh, field))
    task.save(update_fields=list(fields))
    record_event(actor=actor, verb="task.updated", target=task, changes=diff(task, before, fields))
    return task


@transaction.atomic
def add_timeline_entry(*, actor: User, kind: str, body: str, deal=None, client=None) -> Activity:
    """A call, email, meeting or note written by a person."""
    if kind not in (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.NOTE):
        raise DomainError(_("Unknown timeline entry type."), field="kind")
    if deal is None and client is None:
        raise DomainError(_("A timeline entry belongs to a deal or a client."), field="deal")
    deal, client = _task_target(actor=actor, deal=deal, client=client)
    body = (body or "").strip()
    if not body:
        raise DomainError(_("Write the text of the entry."), field="body")
    check_text(body, field="body", limit=NOTES_MAX)
    entry = log_activity(kind=kind, author=actor, deal=deal, client=client, body=body)
    record_event(actor=actor, verb="timeline.added", target=entry, data={"kind": kind, "deal": entry.deal_id,
                                                                        "client": entry.client_id})
    return entry


# --- bulk actions of the task section (leads and heads) ----------------------------------------------------

BULK_MAX = 200


def _require_bulk(actor: User, tasks: list[Task]) -> None:
    if actor is None or actor.scope_for(ObjectType.TASKS) == Scope.OWN:
        raise Forbidden(_("Bulk actions on tasks are for leads and heads."), field="task")
    if not tasks:
        raise DomainError(_("Select at least one task."), field="task")
    if len(tasks) > BULK_MAX:
        raise DomainError(_("Select at most %(n)s tasks at once.") % {"n": BULK_MAX}, field="task")


@transaction.atomic
def bulk_reassign_tasks(*, actor: User, tasks: list[Task], assignee: User) -> int:
    """Give the open ``tasks`` to ``assignee`` (within the actor's scope), all or none; returns how many
    changed (a task already his is left alone). Each one goes through :func:`update_task` (scope, audit)."""
    _require_bulk(actor, tasks)
    if not isinstance(assignee, User):
        raise DomainError(_("Unknown assignee."), field="assignee")
    require_assignable(actor, assignee, field="assignee")
    changed = 0
    for task in tasks:
        if task.assignee_id == assignee.pk:
            continue
        update_task(actor=actor, task=task, assignee=assignee)
        changed += 1
    return changed


@transaction.atomic
def bulk_postpone_tasks(*, actor: User, tasks: list[Task], postpone_to: dt.date | str | None,
                        comment: str) -> int:
    """Postpone the open ``tasks`` to a new contact date, all or none: each is completed with the outcome
    Postpone (:func:`complete_task`: a comment is required, no past date, the follow-up task is created)."""
    _require_bulk(actor, tasks)
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("Describe the outcome in a comment."), field="comment")
    if postpone_to in (None, ""):
        raise DomainError(_("Choose the new contact date."), field="postpone_to")
    new_date = _parse_due(postpone_to, "postpone_to")
    if new_date < timezone.localdate():
        raise DomainError(_("The new contact date cannot be in the past."), field="postpone_to")
    for task in tasks:
        complete_task(actor=actor, task=task, outcome=Outcome.POSTPONE, comment=comment, postpone_to=new_date)
    return len(tasks)
