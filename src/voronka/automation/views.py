"""The notification centre's pages: the list (mark read, mark all read, open) and the user's preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from voronka.automation.models import Delivery, EventType
from voronka.automation.selectors import list_notifications, preferences_of
from voronka.automation.services import mark_all_read, mark_read, offered_event_types, set_preferences
from voronka.core.errors import DomainError, NotFound

PAGE_SIZE = 30


@login_required
@require_http_methods(["GET"])
def notification_list(request):
    page = Paginator(list_notifications(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "automation/notifications.html", {"page_obj": page, "nav": "notifications"})


@login_required
@require_POST
def notification_read(request):
    """Mark one notification read; with ``open`` set, go on to its object."""
    try:
        notification = mark_read(actor=request.user, notification_id=request.POST.get("id"))
    except NotFound as exc:
        messages.error(request, exc.message)
        return redirect("automation:list")
    if request.POST.get("open") and notification.link_url.startswith("/"):
        return redirect(notification.link_url)
    return redirect("automation:list")


@login_required
@require_POST
def notification_read_all(request):
    count = mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("automation:list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Per event type: in the app, by email, both or nothing."""
    current = preferences_of(actor=request.user)
    offered = [t for t in EventType if t.value in offered_event_types(request.user)]
    error_field = error = None
    if request.method == "POST":
        values = {t.value: request.POST.get(f"pref_{t.value}", "") for t in offered}
        try:
            set_preferences(actor=request.user, values=values)
        except DomainError as exc:
            error_field, error = exc.field, exc.message
            current = {**current, **{k: v for k, v in values.items() if v in Delivery.values}}
        else:
            messages.success(request, _("Notification preferences saved."))
            return redirect("automation:preferences")
    rows = [{"type": t.value, "label": t.label, "value": current[t.value],
             "error": error if error_field == t.value else None} for t in offered]
    return render(request, "automation/preferences.html",
                  {"rows": rows, "choices": Delivery.choices, "has_error": error is not None})


@require_http_methods(["GET"])
def worker_status(request):
    """Settings › Worker (administrators): live workers, the queue, recent job runs and the failed tasks."""
    from voronka.automation.scheduler import registered_jobs
    from voronka.automation.selectors import failed_tasks, queue_counts, recent_runs, worker_health, workers

    return render(request, "automation/worker.html", {
        "nav": "settings", "section": "worker", "health": worker_health(), "workers": workers(),
        "queue": queue_counts(), "runs": recent_runs(), "failed": failed_tasks(), "jobs": registered_jobs()})


@require_POST
def worker_retry(request):
    """Run a failed task again (a dead letter back in the queue)."""
    from voronka.automation.services import retry_failed_task

    try:
        retry_failed_task(actor=request.user, task_id=request.POST.get("id", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The task is queued again."))
    return redirect("settings:worker")
