"""Task and timeline endpoints shared by My day, the deal page and the client card.

Thin views: a form parses the input, one service does the work, a ``DomainError`` becomes a form error
and the dialog is re-rendered (status 200, so htmx swaps it). Hidden or missing records are 404.

- ``activities:complete``      GET/POST ``/tasks/<id>/complete/``: the "Complete task" dialog.
- ``activities:create``        GET/POST ``/tasks/new/?deal=<id>`` or ``?client=<id>``: the "New task" dialog.
- ``activities:timeline_add``  POST ``/timeline/add/``: a note/call/meeting/email on a deal or client timeline.

Successful writes answer with ``HX-Trigger``: ``voronka:closeDialog`` and ``tasksChanged`` (tasks) or
``timelineChanged`` (timeline), so any screen can refresh its parts with ``hx-trigger="… from:body"``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from voronka.accounts.models import ObjectType, Scope
from voronka.accounts.selectors import assignable_users
from voronka.activities.forms import (
    BulkTasksForm,
    CompleteTaskForm,
    TaskFilterForm,
    TaskForm,
    TimelineEntryForm,
)
from voronka.activities.models import Outcome, Task, TaskKind, TaskStatus
from voronka.activities.selectors import (
    TASK_SORTS,
    TaskFilter,
    deal_needs_next_task,
    get_task,
    list_tasks_page,
    task_counts_by_assignee,
    tasks_for_bulk,
)
from voronka.activities.services import (
    BULK_MAX,
    add_timeline_entry,
    bulk_postpone_tasks,
    bulk_reassign_tasks,
    complete_task,
    create_task,
)
from voronka.clients.selectors import get_client
from voronka.core.errors import DomainError
from voronka.core.forms import apply_domain_error
from voronka.core.http import get_or_404
from voronka.core.params import parse_id
from voronka.core.urls import safe_next
from voronka.deals.selectors import get_deal, is_rotting, stage_questions
from voronka.pipelines.selectors import list_pipelines

logger = logging.getLogger(__name__)


def _task_or_404(request, task_id: int) -> Task:
    if parse_id(task_id) is None:
        raise Http404(_("Task not found."))
    return get_or_404(get_task, actor=request.user, task_id=task_id)


def _deal_or_client_or_404(request, deal_id, client_id):
    """The deal or client named by the request, resolved in the actor's scope (404 when hidden/missing)."""
    if deal_id not in (None, ""):
        number = parse_id(deal_id)
        if number is None:
            raise Http404(_("Deal not found."))
        return get_or_404(get_deal, actor=request.user, deal_id=number), None
    if client_id not in (None, ""):
        number = parse_id(client_id)
        if number is None:
            raise Http404(_("Client not found."))
        return None, get_or_404(get_client, actor=request.user, client_id=number)
    raise Http404(_("Choose a deal or a client."))


def add_domain_error(form, exc: DomainError) -> None:
    """Put a service error on the form: on its field when the form has it, else as a form error.

    ``MissingFields`` names several fields; each one the form has and the user left empty gets an error too.
    """
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
    for name in exc.fields:
        if name != exc.field and name in form.fields and name not in form.errors \
                and not (form.data.get(name) or "").strip():
            form.add_error(name, _("This field is required."))


def quick_dates() -> list[tuple[str, str]]:
    """Labels and ISO dates for the quick date buttons of the task dialogs."""
    today = timezone.localdate()
    steps = [(_("Tomorrow"), 1), (_("In 3 days"), 3), (_("In a week"), 7), (_("In 2 weeks"), 14)]
    return [(label, (today + dt.timedelta(days=days)).isoformat()) for label, days in steps]


def _autofocus(form, default: str) -> None:
    """Focus the first field with an error (or ``default``) when the dialog opens."""
    name = next((n for n in form.fields if n in form.errors), None) or default
    if name in form.fields:
        form.fields[name].widget.attrs["autofocus"] = True


def _triggers(response: HttpResponse, events: dict) -> HttpResponse:
    response["HX-Trigger"] = json.dumps(events)
    return response


# --- Complete a task --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def complete(request, task_id: int):
    task = _task_or_404(request, task_id)
    if request.method == "POST":
        form = CompleteTaskForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            outcome = data["outcome"]
            try:
                done = complete_task(
                    actor=request.user, task=task, outcome=outcome, comment=data["comment"],
                    next_task=form.next_task() if outcome == Outcome.RESULT else None,
                    postpone_to=data.get("postpone_to") if outcome == Outcome.POSTPONE else None,
                    lost_reason=data.get("lost_reason") if outcome == Outcome.REFUSAL else None,
                    lost_comment=data.get("lost_comment") or "",
                    log_call=bool(data.get("log_call")) and task.kind == TaskKind.CALL,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                if not request.htmx:
                    return redirect(safe_next(request, "web:my_day"))
                response = HttpResponse("")
                # closeDialog last: the events are dispatched in this order on the form inside the dialog.
                return _triggers(response, {
                    "tasksChanged": True, "timelineChanged": True,
                    "taskCompleted": {"id": done.pk, "outcome": done.outcome, "deal": done.deal_id,
                                      "client": done.client_id, "followUp": done.follow_up_id},
                    "voronka:closeDialog": True,
                })
    else:
        form = CompleteTaskForm()
    _autofocus(form, "outcome")
    deal = task.deal
    context = {
        "task": task, "form": form, "deal": deal, "today": timezone.localdate(),
        "task_closed": task.status != TaskStatus.OPEN,
        "needs_next": deal_needs_next_task(task=task),
        "rotting": is_rotting(deal) if deal is not None else False,
        "stage_questions": stage_questions(deal=deal) if deal is not None else [],
        "quick_dates": quick_dates(), "next": safe_next(request, ""),
    }
    if request.htmx:
        return render(request, "activities/_complete_dialog.html", context)
    return render(request, "activities/complete_page.html", {**context, "nav": "my_day"})


# --- Create a task ----------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    params = request.POST if request.method == "POST" else request.GET
    deal, client = _deal_or_client_or_404(request, params.get("deal"), params.get("client"))
    users = list(assignable_users(actor=request.user))
    default = deal.owner if deal is not None else client.responsible
    if default.pk not in {u.pk for u in users}:
        default = request.user
    if all(u.pk != default.pk for u in users):
        users.insert(0, default)
    if request.method == "POST":
        form = TaskForm(request.POST, users=users, default_assignee=default)
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = create_task(actor=request.user, deal=deal, client=client if deal is None else None,
                                   title=data["title"], kind=data["kind"], due_date=data["due_date"],
                                   due_time=data.get("due_time"), assignee=data.get("assignee") or default)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                if not request.htmx:
                    return redirect(safe_next(request, "web:my_day"))
                return _triggers(HttpResponse(""), {
                    "tasksChanged": True,
                    "taskCreated": {"id": task.pk, "deal": task.deal_id, "client": task.client_id},
                    "voronka:closeDialog": True,
                })
    else:
        form = TaskForm(users=users, default_assignee=default)
    _autofocus(form, "title")
    context = {"form": form, "deal": deal, "client": client if deal is None else deal.client,
               "target_deal": deal, "target_client": client, "quick_dates": quick_dates(),
               "next": safe_next(request, "")}
    if request.htmx:
        return render(request, "activities/_task_dialog.html", context)
    return render(request, "activities/task_page.html", context)


# --- Timeline ---------------------------------------------------------------------------------------

@login_required
@require_POST
def timeline_add(request):
    """Add an entry; answer with the rendered entry (prepend it to the list) or the error text."""
    form = TimelineEntryForm(request.POST)
    error = ""
    entry = None
    if form.is_valid():
        data = form.cleaned_data
        deal, client = _deal_or_client_or_404(request, data.get("deal"), data.get("client"))
        try:
            entry = add_timeline_entry(actor=request.user, kind=data["kind"], body=data["body"],
                                       deal=deal, client=client)
        except DomainError as exc:
            error = exc.message
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        error = " ".join(errors)
    if not request.htmx:
        if entry is None:
            messages.error(request, error)
        return redirect(safe_next(request, "web:my_day"))
    if entry is None:
        response = render(request, "activities/_timeline_errors.html", {"error": error})
        response["HX-Retarget"] = "find .timeline-form-errors"
        response["HX-Reswap"] = "innerHTML"
        return response
    response = render(request, "activities/_timeline_entry.html", {"entry": entry, "new": True})
    return _triggers(response, {"timelineChanged": {"id": entry.pk, "deal": entry.deal_id,
                                                    "client": entry.client_id}})


# --- The task section ---------------------------------------------------------------------------------

def _oversees(user) -> bool:
    """A lead or head (team or all scope for tasks): bulk actions and the per-assignee counts."""
    return not user.is_read_only and user.scope_for(ObjectType.TASKS) != Scope.OWN


@login_required
@require_http_methods(["GET"])
def task_list(request):
    """``/tasks/``: every task in scope with filters, sorting and pages; for a lead or head also the counts
    per assignee and the bulk reassign / postpone bar."""
    actor = request.user
    people = list(assignable_users(actor=actor))
    pipelines = list(list_pipelines(actor=actor))
    form = TaskFilterForm(request.GET or None, people=people, pipelines=pipelines)
    if form.is_bound:
        form.is_valid()
    filters = TaskFilter(**form.filter_values())
    order = request.GET.get("o", "")
    if order not in TASK_SORTS:
        order = "due"
    page = list_tasks_page(actor=actor, filters=filters, order=order, page=request.GET.get("page"))
    oversees = _oversees(actor)
    context = {
        "nav": "tasks", "form": form, "page": page, "tasks": list(page.object_list), "order": order,
        "today": timezone.localdate(), "oversees": oversees,
        "counts": task_counts_by_assignee(actor=actor, filters=filters) if oversees else [],
        "columns": [("due", _("Due")), ("kind", _("Type")), ("title", _("Task")), ("assignee", _("Assignee")),
                    ("created", _("Created"))],
        "bulk_form": BulkTasksForm(people=people) if oversees else None,
        "bulk_max": BULK_MAX, "next_url": request.get_full_path(),
        "filtered": any(v for k, v in form.filter_values().items() if k != "status")
                    or filters.status != "open",
    }
    return render(request, "activities/task_list.html", context)


@login_required
@require_POST
def task_bulk(request):
    """Reassign or postpone the selected tasks (all or none, through the services); back to the list."""
    next_url = safe_next(request, "activities:list")
    people = list(assignable_users(actor=request.user))
    form = BulkTasksForm(request.POST, people=people)
    ids = [n for n in (parse_id(v) for v in request.POST.getlist("task")) if n is not None]
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(next_url)
    tasks = tasks_for_bulk(actor=request.user, ids=ids[:BULK_MAX + 1])
    data = form.cleaned_data
    try:
        if data["action"] == "reassign":
            assignee = next((u for u in people if u.pk == data.get("assignee")), None)
            if assignee is None:
                raise DomainError(_("Choose the new assignee."), field="assignee")
            done = bulk_reassign_tasks(actor=request.user, tasks=tasks, assignee=assignee)
            messages.success(request, ngettext("%(n)s task reassigned to %(who)s.",
                                               "%(n)s tasks reassigned to %(who)s.", done)
                             % {"n": done, "who": assignee})
        else:
            done = bulk_postpone_tasks(actor=request.user, tasks=tasks, postpone_to=data.get("postpone_to"),
                                       comment=data.get("comment") or "")
            messages.success(request, ngettext("%(n)s task postponed to %(date)s.",
                                               "%(n)s tasks postponed to %(date)s.", done)
                             % {"n": done, "date": data["postpone_to"].strftime("%d.%m.%Y")})
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(next_url)
    hidden = len(set(ids)) - len(tasks)
    if hidden > 0:
        messages.error(request, ngettext("%(n)s task was not found, is closed or is outside your scope.",
                                         "%(n)s tasks were not found, are closed or are outside your scope.",
                                         hidden) % {"n": hidden})
    return redirect(next_url)
