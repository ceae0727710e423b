"""Tasks: list (yours or all in scope), get, create, complete with an outcome, postpone."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import model_validator

from voronka.activities.selectors import get_task, visible_tasks
from voronka.activities.services import cancel_task, complete_task, create_task, update_task
from voronka.clients.selectors import get_client
from voronka.deals.selectors import get_deal

from ..pagination import Page, paginate
from ..schemas import (
    ERRORS,
    Cursor,
    Date,
    Id,
    Limit,
    LongText,
    Ref,
    RefId,
    Text,
    Time,
    UserRef,
    ref,
    resolve,
    user_ref,
)

router = Router(tags=["tasks"])

TaskKindName = Literal["call", "meeting", "email", "demo", "other"]


class TaskSpec(Schema):
    """A task to create (a deal's first task, a next task, a reopened deal's task)."""

    title: Text
    due_date: Date
    kind: TaskKindName = "call"
    due_time: Time | None = None
    assignee: RefId | None = Field(None, description="A user id; default: the deal's owner (or you).")


def task_spec(spec: TaskSpec | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    data = spec.model_dump()
    return {k: v for k, v in data.items() if v is not None}


class TaskOut(Schema):
    id: int
    title: str
    kind: str
    status: Literal["open", "done", "cancelled"]
    due_date: Date
    due_time: Time | None
    assignee: UserRef
    deal: Ref | None
    client: Ref | None
    outcome: str
    outcome_comment: str
    lost_reason: int | None
    follow_up: int | None
    created_at: dt.datetime
    completed_at: dt.datetime | None


def task_out(t) -> dict[str, Any]:
    return {"id": t.pk, "title": t.title, "kind": t.kind, "status": t.status, "due_date": t.due_date,
            "due_time": t.due_time, "assignee": user_ref(t.assignee), "deal": ref(t.deal, "title"),
            "client": ref(t.client), "outcome": t.outcome, "outcome_comment": t.outcome_comment,
            "lost_reason": t.lost_reason_id, "follow_up": t.follow_up_id, "created_at": t.created_at,
            "completed_at": t.completed_at}


class TaskFilters(Schema):
    mine: bool = Field(False, description="Only the tasks assigned to you.")
    status: Literal["open", "done", "cancelled", ""] = "open"
    deal: Id | None = None
    client: Id | None = None
    due_before: Date | None = None
    limit: Limit = 50
    cursor: Cursor | None = None


class TaskIn(TaskSpec):
    deal: RefId | None = None
    client: RefId | None = None


class CompleteIn(Schema):
    outcome: Literal["result", "postpone", "refusal"]
    comment: LongText
    next_task: TaskSpec | None = Field(None, description="result: the next task (required when the deal has "
                                                         "no other open task)")
    postpone_to: Date | None = Field(None, description="postpone: the new contact date")
    lost_reason: RefId | None = Field(None, description="refusal: the lost reason id")
    lost_comment: LongText = ""


class PostponeIn(Schema):
    to: Date
    comment: LongText


class TaskPatch(Schema):
    """The fields to change of an open task (the others stay); ``due_time: null`` clears the time."""

    # Not nullable: a title, type, date or assignee cannot be cleared (the default only means "not sent").
    title: Text = Field(None)
    kind: TaskKindName = Field(None)
    due_date: Date = Field(None)
    due_time: Time | None = None
    assignee: RefId = Field(None)

    @model_validator(mode="after")
    def _not_empty(self) -> TaskPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class CancelIn(Schema):
    comment: LongText = ""


class CompleteOut(Schema):
    task: TaskOut
    follow_up: TaskOut | None


def _task(request: HttpRequest, task_id: int):
    return get_task(actor=request.auth, task_id=task_id)


def _completed(task) -> dict[str, Any]:
    follow = task.follow_up
    return {"task": task_out(task), "follow_up": task_out(follow) if follow is not None else None}


@router.get("/tasks", response={200: Page[TaskOut], **ERRORS}, summary="List tasks",
            description="Tasks in your scope (open by default), newest first; `mine=true` for yours only.")
def tasks_list(request: HttpRequest, filters: Query[TaskFilters]):
    actor = request.auth
    qs = visible_tasks(actor=actor).select_related("assignee", "deal", "client")
    if filters.mine:
        qs = qs.filter(assignee_id=actor.pk)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.deal is not None:
        qs = qs.filter(deal_id=filters.deal)
    if filters.client is not None:
        qs = qs.filter(client_id=filters.client)
    if filters.due_before is not None:
        qs = qs.filter(due_date__lt=filters.due_before)
    rows, next_url = paginate(request, qs, limit=filters.limit, cursor=filters.cursor)
    return {"items": [task_out(t) for t in rows], "next": next_url}


@router.get("/tasks/{task_id}", response={200: TaskOut, **ERRORS}, summary="Get a task")
def tasks_get(request: HttpRequest, task_id: Id):
    return task_out(_task(request, task_id))


@router.post("/tasks", response={201: TaskOut, **ERRORS}, summary="Create a task",
             description="For a deal or a client (or both: the deal's client).")
def tasks_create(request: HttpRequest, payload: TaskIn):
    actor = request.auth
    deal = None if payload.deal is None else resolve(get_deal, "deal", actor=actor, deal_id=payload.deal)
    client = None if payload.client is None else resolve(get_client, "client", actor=actor,
                                                         client_id=payload.client)
    spec = task_spec(TaskSpec(**payload.model_dump(exclude={"deal", "client"})))
    task = create_task(actor=actor, deal=deal, client=client, **spec)
    return Status(201, task_out(task))


@router.post("/tasks/{task_id}/complete", response={200: CompleteOut, **ERRORS},
             summary="Complete a task with an outcome",
             description="`result` (the deal goes on: `next_task` unless another task is open), `postpone` "
                         "(`postpone_to`: the follow-up task) or `refusal` (`lost_reason`: loses the deal, or "
                         "refuses the client of a client task).")
def tasks_complete(request: HttpRequest, task_id: Id, payload: CompleteIn):
    task = complete_task(actor=request.auth, task=_task(request, task_id), outcome=payload.outcome,
                         comment=payload.comment, next_task=task_spec(payload.next_task),
                         postpone_to=payload.postpone_to, lost_reason=payload.lost_reason,
                         lost_comment=payload.lost_comment)
    return _completed(task)


@router.post("/tasks/{task_id}/postpone", response={200: CompleteOut, **ERRORS}, summary="Postpone a task",
             description="Completes it with the outcome `postpone`: a follow-up task on the new date.")
def tasks_postpone(request: HttpRequest, task_id: Id, payload: PostponeIn):
    task = complete_task(actor=request.auth, task=_task(request, task_id), outcome="postpone",
                         comment=payload.comment, postpone_to=payload.to)
    return _completed(task)




@router.patch("/tasks/{task_id}", response={200: TaskOut, **ERRORS}, summary="Update an open task",
              description="Title, type, due date and time, assignee (within your scope).")
def tasks_update(request: HttpRequest, task_id: Id, payload: TaskPatch):
    changes = payload.model_dump(exclude_unset=True)
    task = update_task(actor=request.auth, task=_task(request, task_id), **changes)
    return task_out(task)


@router.post("/tasks/{task_id}/cancel", response={200: TaskOut, **ERRORS}, summary="Cancel a task",
             description="Not the last open task of an open deal: complete that one with an outcome.")
def tasks_cancel(request: HttpRequest, task_id: Id, payload: CancelIn):
    task = cancel_task(actor=request.auth, task=_task(request, task_id), comment=payload.comment)
    return task_out(task)
