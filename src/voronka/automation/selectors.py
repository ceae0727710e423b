"""Reads of the notification centre: always the actor's own rows."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, QuerySet, Value, When

from voronka.automation.models import DEFAULT_DELIVERY, EventType, Notification, NotificationPreference


def unread_count(*, actor) -> int:
    """The bell: one COUNT over a partial index."""
    if not getattr(actor, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=actor, in_app=True, read_at=None).count()


def list_notifications(*, actor) -> QuerySet[Notification]:
    """The user's in-app notifications: unread first, then the newest."""
    return (Notification.objects.filter(recipient=actor, in_app=True)
            .annotate(_read=Case(When(read_at=None, then=Value(0)), default=Value(1), output_field=IntegerField()))
            .order_by("_read", "-created_at", "-id"))


def preferences_of(*, actor) -> dict[str, str]:
    """Every event type's delivery for the user (saved choices over the defaults)."""
    saved = dict(NotificationPreference.objects.filter(user=actor).values_list("event_type", "delivery"))
    return {t.value: saved.get(t.value, DEFAULT_DELIVERY[t.value]) for t in EventType}


def delivery_for(*, user, event_type: str) -> str:
    saved = (NotificationPreference.objects.filter(user=user, event_type=event_type)
             .values_list("delivery", flat=True).first())
    return saved or DEFAULT_DELIVERY[event_type]


def worker_health(*, now=None) -> dict:
    """For ``/readyz`` and Settings › Worker: whether a worker is alive (a fresh heartbeat), and why not."""
    from django.conf import settings
    from django.utils import timezone

    from voronka.automation.models import WorkerHeartbeat

    now = now or timezone.now()
    stale = settings.VORONKA_WORKER_STALE_SECONDS
    fresh = WorkerHeartbeat.objects.filter(last_seen__gte=now - dt.timedelta(seconds=stale),
                                           stopped_at=None).count()
    if fresh:
        return {"ok": True, "workers": fresh}
    last = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if last is None:
        reason = "no worker has ever written a heartbeat (start `voronka worker`)"
    else:
        age = int((now - last.last_seen).total_seconds())
        state = "stopped" if last.stopped_at else f"silent for {age} s (more than {stale} s)"
        reason = f"no live worker: the last one, {last.host} pid {last.pid}, {state}"
    return {"ok": False, "workers": 0, "reason": reason,
            "last_seen": last.last_seen.isoformat() if last else None}


def recent_runs(*, limit: int = 50):
    from voronka.automation.models import JobRun

    return JobRun.objects.order_by("-created_at", "-id")[:limit]


def workers(*, limit: int = 20):
    from voronka.automation.models import WorkerHeartbeat

    return WorkerHeartbeat.objects.order_by("-last_seen")[:limit]


def failed_tasks(*, limit: int = 50):
    """The dead letters: tasks that failed (an error, or their worker died too often), newest first."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return (DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
            .only("id", "task_path", "args_kwargs", "worker_ids", "finished_at", "enqueued_at",
                  "exception_class_path", "traceback")
            .order_by("-finished_at")[:limit])


def queue_counts() -> dict[str, int]:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    return dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
