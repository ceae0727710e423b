"""A worker you can trust: heartbeat and /readyz, tasks of dead workers queued again with an attempt count and
given up after the last one (Settings › Worker shows them and runs them again), and real ``voronka worker``
processes killed with SIGKILL."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.automation import processes
from tests.automation.worker_tasks import slow_once
from voronka.automation.models import WorkerHeartbeat
from voronka.automation.worker import WORKER_LOST, beat, recover_lost_tasks
from voronka.catalog.models import Region

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _running(worker_ids: list[str], started: dt.datetime) -> DBTaskResult:
    return DBTaskResult.objects.create(
        args_kwargs={"args": [1], "kwargs": {}}, task_path="voronka.automation.tasks.noop", backend_name="default",
        run_after=started, status=TaskResultStatus.RUNNING, started_at=started, worker_ids=worker_ids)


@pytest.mark.django_db
def test_readyz_is_not_ready_without_a_fresh_worker_heartbeat(client, settings):
    settings.VORONKA_WORKER_REQUIRED = True
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "worker_down" and "ever written" in response.json()["reason"]
    beat(worker_id="w1", runs_scheduler=True)
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": response.json()["database"],
                                                               "workers": 1}
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - dt.timedelta(seconds=120))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "worker_down" and "silent for 1" in body["reason"] and str(os.getpid()) in body["reason"]


@pytest.mark.django_db
def test_readyz_does_not_wait_for_a_worker_when_tasks_run_in_process(client, settings):
    settings.VORONKA_WORKER_REQUIRED = False
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_a_task_of_a_dead_worker_is_queued_again_then_given_up_after_the_last_attempt(settings):
    settings.VORONKA_TASK_MAX_ATTEMPTS = 2
    now = timezone.now()
    old = now - dt.timedelta(minutes=5)
    beat(worker_id="alive", runs_scheduler=True, now=now)
    beat(worker_id="dead", runs_scheduler=True, now=old)
    mine = _running(["alive"], old)  # a long task of a live worker: left alone
    lost = _running(["dead"], old)
    fresh = _running(["dead"], now)  # just started: give its worker the stale window first
    assert recover_lost_tasks(now=now) == {"lost tasks queued again": 1, "lost tasks given up": 0}
    assert recover_lost_tasks(now=now) == {"lost tasks queued again": 0, "lost tasks given up": 0}
    lost.refresh_from_db()
    assert (lost.status, lost.started_at, lost.worker_ids) == (TaskResultStatus.READY, None, ["dead"])
    mine.refresh_from_db()
    fresh.refresh_from_db()
    assert mine.status == fresh.status == TaskResultStatus.RUNNING
    # claimed again by a worker that dies too: the second attempt was the last
    DBTaskResult.objects.filter(pk=lost.pk).update(status=TaskResultStatus.RUNNING, started_at=old,
                                                   worker_ids=["dead", "dead2"])
    assert recover_lost_tasks(now=now)["lost tasks given up"] == 1
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED and lost.exception_class_path == WORKER_LOST
    assert "2 time(s)" in lost.traceback


@pytest.mark.django_db
def test_settings_worker_lists_the_failed_task_and_runs_it_again(world, settings):
    settings.VORONKA_WORKER_REQUIRED = True
    old = timezone.now() - dt.timedelta(minutes=5)
    row = _running(["a", "b", "c"], old)
    recover_lost_tasks()
    http = HttpClient()
    http.force_login(world.admin)
    page = http.get("/settings/worker/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "voronka.automation.tasks.noop" in text and str(row.pk) in text
    assert http.post("/settings/worker/retry/", {"id": str(row.pk)}).status_code == 302
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY and row.worker_ids == []
    # not failed any more: a second "run again" is refused with a message, not an error page
    assert http.post("/settings/worker/retry/", {"id": str(row.pk)}, follow=True).status_code == 200
    assert http.post("/settings/worker/retry/", {"id": "not-a-uuid"}).status_code == 302
    manager = HttpClient()
    manager.force_login(world.owner)
    assert manager.get("/settings/worker/").status_code == 403
    assert manager.post("/settings/worker/retry/", {"id": str(row.pk)}).status_code == 403


def test_a_worker_killed_mid_task_loses_nothing_and_the_next_worker_finishes_it(shared_db, tmp_path, settings):
    settings.TASKS = DB_QUEUE
    flag = tmp_path / "first-run"
    result = slow_once.enqueue(str(flag), "сделано один раз")
    first = processes.start(["worker", "--no-scheduler", "--interval", "0.2"], tmp_path)
    try:
        assert processes.wait_for(flag.exists, timeout=60), "the first worker never started the task"
        row = DBTaskResult.objects.get(pk=result.id)
        assert row.status == TaskResultStatus.RUNNING and len(row.worker_ids) == 1
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        processes.stop(first)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.RUNNING  # the dead worker's claim stays until someone takes it back
    assert not Region.objects.filter(name="сделано один раз").exists()
    second = processes.start(["worker", "--no-scheduler", "--interval", "0.2"], tmp_path)
    try:
        done = processes.wait_for(lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL,
                                  timeout=60)
    finally:
        processes.stop(second)
    assert done, "the second worker did not finish the lost task"
    row.refresh_from_db()
    assert len(row.worker_ids) == 2 and row.worker_ids[0] != row.worker_ids[1]  # attempts: 2
    assert Region.objects.filter(name="сделано один раз").count() == 1


def test_the_supervisor_starts_a_killed_worker_again(shared_db, tmp_path):
    supervisor = processes.start(["worker", "--supervise", "--no-scheduler", "--interval", "0.2"], tmp_path)
    try:
        first = processes.wait_for(lambda: WorkerHeartbeat.objects.filter(stopped_at=None).first(), timeout=60)
        assert first is not None, "no heartbeat from the supervised worker"
        assert first.pid != supervisor.pid
        os.kill(first.pid, signal.SIGKILL)
        second = processes.wait_for(
            lambda: WorkerHeartbeat.objects.exclude(pk=first.pk).filter(stopped_at=None).first(), timeout=60)
        assert second is not None and second.pid != first.pid, "the worker was not started again"
        assert supervisor.poll() is None
    finally:
        processes.stop(supervisor)
    assert supervisor.returncode == 0
    assert processes.wait_for(lambda: WorkerHeartbeat.objects.filter(pk=second.pk, stopped_at__isnull=False).exists(),
                              timeout=15)  # the worker stopped cleanly with its supervisor


@pytest.mark.django_db
def test_settings_worker_runs_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from voronka.automation.models import JobRun

    http = HttpClient()
    http.force_login(world.admin)
    old = timezone.now() - dt.timedelta(minutes=5)

    def rows(n: int) -> int:
        for i in range(n):
            DBTaskResult.objects.create(args_kwargs={"args": [i], "kwargs": {}}, task_path="voronka.automation.tasks.noop",
                                        backend_name="default", run_after=old, status=TaskResultStatus.FAILED,
                                        finished_at=old, worker_ids=["x"], exception_class_path=WORKER_LOST)
            JobRun.objects.create(job=f"test.{n}.{i}", slot=old, due_at=old, result={"n": i})
            beat(worker_id=f"w{n}.{i}", runs_scheduler=True)
        with CaptureQueriesContext(connection) as queries:
            assert http.get("/settings/worker/").status_code == 200
        return len(queries)

    assert rows(3) == rows(10)


def test_worker_batch_empties_the_queue_and_leaves_a_stopped_heartbeat(shared_db, settings):
    from voronka.automation.tasks import noop
    from voronka.cli import main

    settings.TASKS = DB_QUEUE
    ids = [noop.enqueue(i).id for i in range(3)]
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        assert main(["worker", "--batch", "--interval", "0"]) == 0
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert sorted(DBTaskResult.objects.filter(pk__in=ids).values_list("return_value", flat=True)) == [0, 1, 2]
    [heartbeat] = WorkerHeartbeat.objects.all()
    assert heartbeat.stopped_at is not None and not heartbeat.runs_scheduler and heartbeat.pid == os.getpid()


@pytest.mark.django_db
def test_a_task_running_past_the_timeout_is_taken_back_even_from_a_live_worker(settings):
    settings.VORONKA_TASK_TIMEOUT_SECONDS = 600
    now = timezone.now()
    beat(worker_id="alive", runs_scheduler=True, now=now)
    hung = _running(["alive"], now - dt.timedelta(seconds=601))
    busy = _running(["alive"], now - dt.timedelta(seconds=599))
    assert recover_lost_tasks(now=now)["lost tasks queued again"] == 1
    hung.refresh_from_db()
    busy.refresh_from_db()
    assert hung.status == TaskResultStatus.READY and busy.status == TaskResultStatus.RUNNING


def _run_in_process(*args: str) -> int:
    from voronka.cli import main

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        return main(["worker", *args])
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@pytest.mark.django_db
@pytest.mark.parametrize("claim", [1, 4])
def test_the_claiming_loop_runs_every_job_once_and_records_failures(shared_db, settings, claim):
    """VORONKA_WORKER_CLAIM jobs per claim (results written with the next claim) or django-tasks-db's own loop
    (1): each job runs once, its attempt is counted once, a failure (or a result that is not JSON) is recorded
    with its traceback and the worker goes on."""
    from tests.automation.worker_tasks import fails, returns_a_set
    from voronka.automation.tasks import noop

    settings.TASKS = DB_QUEUE
    settings.VORONKA_WORKER_CLAIM = claim
    ok = [noop.enqueue(i).id for i in range(7)]
    bad = [fails.enqueue(1).id, returns_a_set.enqueue(2).id]
    assert _run_in_process("--batch", "--interval", "0") == 0
    rows = {str(r.pk): r for r in DBTaskResult.objects.all()}
    assert sorted(rows[str(i)].return_value for i in ok) == list(range(7))
    assert all(rows[str(i)].status == TaskResultStatus.SUCCESSFUL and rows[str(i)].finished_at for i in ok)
    assert all(len(r.worker_ids) == 1 for r in rows.values())
    failed = rows[str(bad[0])]
    assert failed.status == TaskResultStatus.FAILED and "job 1 fails" in failed.traceback
    assert failed.exception_class_path == "builtins.ValueError"
    assert rows[str(bad[1])].status == TaskResultStatus.FAILED
    assert "TypeError" in rows[str(bad[1])].exception_class_path


@pytest.mark.django_db
def test_jobs_claimed_but_not_started_in_the_window_are_given_back_uncounted(shared_db, settings):
    from voronka.automation.tasks import noop

    settings.TASKS = DB_QUEUE
    settings.VORONKA_WORKER_CLAIM, settings.VORONKA_WORKER_CLAIM_WINDOW = 5, 0  # one job per claim, then give back
    ids = [noop.enqueue(i).id for i in range(3)]
    assert _run_in_process("--max-tasks", "2", "--interval", "0", "--no-scheduler") == 0
    rows = {str(r.pk): r for r in DBTaskResult.objects.all()}
    done = [i for i in ids if rows[str(i)].status == TaskResultStatus.SUCCESSFUL]
    [waiting] = [i for i in ids if rows[str(i)].status == TaskResultStatus.READY]
    assert len(done) == 2 and rows[str(waiting)].worker_ids == [] and rows[str(waiting)].started_at is None
    assert all(rows[str(i)].worker_ids and len(rows[str(i)].worker_ids) == 1 for i in done)
