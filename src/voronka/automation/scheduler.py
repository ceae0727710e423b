"""The scheduler: periodic jobs run once per slot, however many schedulers run, on however many hosts.

A job is registered with its schedule (``every`` N minutes, aligned on the clock, or ``daily_at`` HH:MM in
the installation's time zone). For a moment ``now`` each job has one current *slot* (the start of its
interval, or today's/yesterday's daily time). Whoever wants to run it inserts ``JobRun(job, slot)``; the
unique constraint lets exactly one insert win, and only the winner runs the job:

- ``schedule_due(now)`` (the loop of ``voronka scheduler`` and of ``voronka worker``) inserts the run and
  enqueues ``automation.tasks.run_scheduled_job`` (django-tasks) in the same transaction, so a run is never
  recorded without its task; any worker then runs it.
- ``run_due(now)`` (``voronka tick``) inserts the run and runs the job in-process, for cron and operators.

A job takes ``now`` and returns ``{label: count}``. Jobs are idempotent: a run taken again after its worker
died (the task is re-queued, ``automation.worker.recover_lost_tasks``) has no second effect.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from voronka.automation.models import JobRun, JobRunStatus

logger = logging.getLogger(__name__)

JobFunc = Callable[..., dict[str, int]]
EPOCH = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday, midnight UTC: interval slots align on it
DEFAULT_DAILY_GRACE = dt.timedelta(hours=6)  # a daily run missed by more than this waits for the next day


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunc
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None
    grace: dt.timedelta = DEFAULT_DAILY_GRACE

    def slot(self, now: dt.datetime) -> dt.datetime | None:
        """The slot ``now`` falls in, or None (a daily time passed longer ago than the grace)."""
        if self.every is not None:
            count = (now - EPOCH) // self.every
            return EPOCH + count * self.every
        local = timezone.localtime(now)
        day = local.date()
        candidate = timezone.make_aware(dt.datetime.combine(day, self.daily_at))
        if candidate > now:
            candidate = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=1), self.daily_at))
        if now - candidate > self.grace:
            return None
        return candidate

    def describe(self) -> str:
        if self.every is not None:
            return f"every {int(self.every.total_seconds() // 60)} min"
        return f"daily at {self.daily_at.strftime('%H:%M')}"


_jobs: dict[str, Job] = {}


def parse_hhmm(value: str, *, setting: str) -> dt.time:
    """``"08:30"`` → time; a bad value fails at start-up, naming the setting."""
    try:
        hours, minutes = (int(part) for part in value.strip().split(":"))
        return dt.time(hours, minutes)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(f"{setting} must be a time HH:MM, not {value!r}") from None


def job(name: str, *, every_minutes: int | None = None, daily_at: dt.time | None = None,
        grace: dt.timedelta = DEFAULT_DAILY_GRACE) -> Callable[[JobFunc], JobFunc]:
    """Decorator: register ``func(*, now) -> {label: count}`` as a scheduled job."""
    if (every_minutes is None) == (daily_at is None):
        raise ImproperlyConfigured(f"job {name}: give every_minutes or daily_at")
    if every_minutes is not None and not 1 <= every_minutes <= 24 * 60:
        raise ImproperlyConfigured(f"job {name}: every_minutes must be 1..1440")

    def decorator(func: JobFunc) -> JobFunc:
        _jobs[name] = Job(name=name, func=func, daily_at=daily_at, grace=grace,
                          every=dt.timedelta(minutes=every_minutes) if every_minutes else None)
        return func

    return decorator


def registered_jobs() -> list[Job]:
    return [_jobs[name] for name in sorted(_jobs)]


def get_job(name: str) -> Job | None:
    return _jobs.get(name)


def _host() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def claim(job_: Job, *, now: dt.datetime) -> JobRun | None:
    """Insert the run of ``job_`` for the slot of ``now``; None when that slot is taken (or has none)."""
    slot = job_.slot(now)
    if slot is None or JobRun.objects.filter(job=job_.name, slot=slot).exists():
        return None
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job_.name, slot=slot, due_at=now, host=_host())
    except IntegrityError:  # another scheduler's insert won
        return None


def schedule_due(*, now: dt.datetime | None = None) -> list[JobRun]:
    """One scheduler pass: for each job whose current slot has no run, record it and enqueue its task."""
    from voronka.automation.tasks import run_scheduled_job

    now = now or timezone.now()
    made = []
    for job_ in registered_jobs():
        slot = job_.slot(now)
        if slot is None or JobRun.objects.filter(job=job_.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():  # the run and its queued task commit together, or neither
                run = JobRun.objects.create(job=job_.name, slot=slot, due_at=now, host=_host())
                run_scheduled_job.enqueue(run.pk)
        except IntegrityError:
            continue
        made.append(run)
    if made:
        logger.info("jobs scheduled", extra={"jobs": ",".join(r.job for r in made)})
    return made


def execute(run_id: int) -> dict[str, int] | None:
    """Run one recorded run; its result, or None when it was already done (a repeated task).

    A run left ``running`` by a dead worker is run again (the job is idempotent). A failing job marks the
    run failed and raises, so the task fails too and shows among the failed tasks.
    """
    with transaction.atomic():
        run = JobRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in (JobRunStatus.DONE, JobRunStatus.FAILED):
            return None
        run.status = JobRunStatus.RUNNING
        run.attempts += 1
        run.started_at = timezone.now()
        run.save(update_fields=["status", "attempts", "started_at"])
    job_ = get_job(run.job)
    try:
        if job_ is None:
            raise LookupError(f"no job named {run.job}")
        result = job_.func(now=run.due_at) or {}
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(status=JobRunStatus.FAILED, finished_at=timezone.now(),
                                                error=f"{exc.__class__.__name__}: {exc}"[:4000])
        logger.exception("job failed", extra={"job": run.job, "run_id": run.pk})
        raise
    JobRun.objects.filter(pk=run.pk).update(status=JobRunStatus.DONE, finished_at=timezone.now(), result=result)
    return result


def run_due(*, now: dt.datetime | None = None) -> list[tuple[Job, dict[str, int] | None, str]]:
    """``voronka tick``: every job due at ``now`` whose slot is free runs here, now, once.

    Returns ``(job, result, note)`` per job: the result when it ran, else None and why not.
    """
    now = now or timezone.now()
    out = []
    for job_ in registered_jobs():
        run = claim(job_, now=now)
        if run is None:
            slot = job_.slot(now)
            out.append((job_, None, f"already run for {slot.isoformat()}" if slot else "not due"))
            continue
        try:
            out.append((job_, execute(run.pk), ""))
        except Exception as exc:
            out.append((job_, None, f"failed: {exc.__class__.__name__}: {exc}"))
    return out
