"""The scheduler: slots (every N minutes, daily at HH:MM local), one run per slot whoever asks, tick's contract,
and the scheduler pass that queues the job's django-tasks task."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from voronka.automation.models import JobRun, JobRunStatus
from voronka.automation.scheduler import Job, claim, execute, registered_jobs, schedule_due
from voronka.cli import main

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")


def _job(**kwargs) -> Job:
    return Job(name="test.job", func=lambda *, now: {"ran": 1}, **kwargs)


def test_an_interval_slot_is_the_start_of_its_interval_on_the_clock():
    job = _job(every=dt.timedelta(minutes=5))
    at = dt.datetime(2026, 12, 1, 10, 7, 30, tzinfo=dt.UTC)
    assert job.slot(at) == dt.datetime(2026, 12, 1, 10, 5, tzinfo=dt.UTC)
    assert job.slot(at + dt.timedelta(minutes=2, seconds=29)) == job.slot(at)
    assert job.slot(at + dt.timedelta(minutes=2, seconds=30)) == dt.datetime(2026, 12, 1, 10, 10, tzinfo=dt.UTC)


def test_a_daily_slot_is_todays_time_in_the_installation_zone_once_it_has_come(settings):
    settings.TIME_ZONE = "Europe/Moscow"
    job = _job(daily_at=dt.time(8, 0))
    assert job.slot(dt.datetime(2026, 12, 1, 8, 30, tzinfo=MSK)) == dt.datetime(2026, 12, 1, 8, 0, tzinfo=MSK)
    assert job.slot(dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)) == dt.datetime(2026, 12, 1, 8, 0, tzinfo=MSK)
    # before 08:00 Moscow the slot would be yesterday's, long past its grace: nothing is due
    assert job.slot(dt.datetime(2026, 12, 1, 7, 59, tzinfo=MSK)) is None
    # past the grace (6 h) the day's run is skipped rather than sent in the evening
    assert job.slot(dt.datetime(2026, 12, 1, 14, 1, tzinfo=MSK)) is None


def test_the_first_insert_wins_the_slot_and_runs_it_once():
    job = next(j for j in registered_jobs() if j.name == "events.retry")
    now = timezone.now()
    first = claim(job, now=now)
    assert first is not None
    assert claim(job, now=now) is None
    assert execute(first.pk) == {"events dispatched": 0}
    assert execute(first.pk) is None  # the task taken again: no second run
    first.refresh_from_db()
    assert (first.status, first.attempts, first.result) == (JobRunStatus.DONE, 1, {"events dispatched": 0})


def test_tick_runs_every_job_once_per_slot(capsys):
    at = "2026-12-01T10:00:30+03:00"
    assert main(["tick", "--now", at]) == 0
    out = capsys.readouterr().out
    assert "events dispatched: 0" in out and "notifications, overdue tasks: 0" in out
    names = {j.name for j in registered_jobs()}
    assert {"events.retry", "automation.monitors", "automation.task_reminders", "analytics.sales_dips",
            "automation.daily_digest", "automation.morning_summary"} <= names
    ran = set(JobRun.objects.values_list("job", flat=True))
    assert JobRun.objects.count() == len(ran)  # one run per job
    assert main(["tick", "--now", at]) == 0
    again = capsys.readouterr().out
    assert "events dispatched" not in again and "events.retry: already run for" in again
    assert JobRun.objects.count() == len(ran)
    assert main(["tick", "--now", "2026-12-01T10:01:30+03:00"]) == 0  # the next minute: the minutely jobs
    assert "events dispatched: 0" in capsys.readouterr().out
    assert JobRun.objects.filter(job="events.retry").count() == 2
    assert JobRun.objects.filter(job="automation.monitors").count() == 1  # every 5 minutes


def test_tick_refuses_a_moment_that_is_not_iso(capsys):
    assert main(["tick", "--now", "tomorrow"]) == 2
    assert "not an ISO 8601 moment" in capsys.readouterr().err


def test_the_scheduler_pass_records_the_run_and_queues_its_task_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    made = schedule_due(now=now)
    assert made and {r.job for r in made} >= {"events.retry", "automation.emails"}
    assert schedule_due(now=now) == []  # a second scheduler (or pass) in the same slot: nothing
    tasks = DBTaskResult.objects.filter(task_path="voronka.automation.tasks.run_scheduled_job")
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == sorted(r.pk for r in made)
    assert all(r.status == JobRunStatus.QUEUED for r in JobRun.objects.all())


def test_a_failing_job_marks_its_run_failed_and_tick_reports_it(capsys, monkeypatch):
    from voronka.automation import scheduler

    def boom(*, now):
        raise RuntimeError("broken")

    monkeypatch.setitem(scheduler._jobs, "test.boom", Job(name="test.boom", func=boom, every=dt.timedelta(minutes=1)))
    assert main(["tick", "--now", "2026-12-01T10:00:00+03:00"]) == 1
    assert "test.boom: failed: RuntimeError: broken" in capsys.readouterr().out
    run = JobRun.objects.get(job="test.boom")
    assert run.status == JobRunStatus.FAILED and "broken" in run.error
    assert JobRun.objects.exclude(job="test.boom").exclude(status=JobRunStatus.DONE).count() == 0


def test_voronka_scheduler_once_queues_each_due_job_and_a_second_pass_nothing(transactional_db, settings, capsys):
    import signal

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert main(["scheduler", "--once"]) == 0
        first = capsys.readouterr().out
        assert main(["scheduler", "--once"]) == 0
        second = capsys.readouterr().out
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert "scheduled events.retry for " in first
    assert "scheduled events.retry" not in second
    queued = DBTaskResult.objects.filter(task_path="voronka.automation.tasks.run_scheduled_job").count()
    assert queued == JobRun.objects.count() == first.count("scheduled ")
