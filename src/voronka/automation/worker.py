"""A worker you can trust: ``voronka worker`` runs django-tasks-db's worker loop plus a housekeeping thread that
writes the heartbeat, takes back the tasks of dead workers and (unless told not to) runs the scheduler.

- **Heartbeat**: one ``WorkerHeartbeat`` row per worker process (host, pid, last seen), written every
  ``VORONKA_WORKER_HEARTBEAT_SECONDS``; ``/readyz`` reports whether one is fresh.
- **Lost tasks**: a task RUNNING for longer than ``VORONKA_WORKER_STALE_SECONDS`` whose worker has no fresh
  heartbeat was being run by a process that died (killed, out of memory, host gone); one RUNNING for longer
  than ``VORONKA_TASK_TIMEOUT_SECONDS`` is taken back even from a live worker (hung, or its result mark was
  lost). It is queued again;
  its attempt count is the number of workers that claimed it (``worker_ids``). After
  ``VORONKA_TASK_MAX_ATTEMPTS`` it is marked failed with ``WorkerLost``: the dead-letter state, listed under
  Settings › Worker, where an administrator can run it again.
- **Supervision** (``automation.supervisor``): ``voronka worker --supervise`` starts the worker as a child process and starts it again
  whenever it exits (``make run`` uses it).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from voronka.automation.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

WORKER_LOST = "voronka.automation.worker.WorkerLost"


class WorkerLost(Exception):
    """The worker running a task stopped (killed) too many times: the task waits for a person."""


def beat(*, worker_id: str, runs_scheduler: bool, now: dt.datetime | None = None) -> None:
    """Write this process's heartbeat."""
    now = now or timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now, stopped_at=None)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={
            "host": socket.gethostname()[:200], "pid": os.getpid(), "runs_scheduler": runs_scheduler,
            "started_at": now, "last_seen": now, "stopped_at": None})


def stop_beating(*, worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(stopped_at=timezone.now())


def stale_before(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.VORONKA_WORKER_STALE_SECONDS)


def recover_lost_tasks(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Queue again the RUNNING tasks whose worker is dead; fail those out of attempts. Idempotent: each row
    changes with a conditional UPDATE on the state it was read in, so two recoverers act once."""
    now = now or timezone.now()
    limit = stale_before(now)
    timeout = now - dt.timedelta(seconds=settings.VORONKA_TASK_TIMEOUT_SECONDS)
    alive = set(WorkerHeartbeat.objects.filter(last_seen__gte=limit, stopped_at=None)
                .values_list("worker_id", flat=True))
    requeued = dead = 0
    for row in DBTaskResult.objects.running().filter(started_at__lt=limit).only("id", "worker_ids", "started_at"):
        if row.worker_ids and row.worker_ids[-1] in alive and row.started_at >= timeout:
            continue
        same = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at)
        attempts = len(row.worker_ids)
        if attempts >= settings.VORONKA_TASK_MAX_ATTEMPTS:
            dead += same.update(
                status=TaskResultStatus.FAILED, finished_at=now, exception_class_path=WORKER_LOST,
                traceback=(f"WorkerLost: the worker running this task stopped {attempts} time(s) "
                           f"(workers {', '.join(row.worker_ids)}); it is not queued again by itself."))
        else:
            requeued += same.update(status=TaskResultStatus.READY, started_at=None)
    if requeued or dead:
        logger.warning("lost tasks recovered", extra={"requeued": requeued, "dead": dead})
    return {"lost tasks queued again": requeued, "lost tasks given up": dead}


def retry_task(task_id: str) -> bool:
    """Queue a failed task again (Settings › Worker › Run again); True when it was failed and now waits."""
    with transaction.atomic():
        return bool(DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, started_at=None, finished_at=None, exception_class_path="",
            traceback="", worker_ids=[]))


def prune(*, now: dt.datetime | None = None, keep_days: int = 7) -> dict[str, int]:
    """Old history: finished tasks (successful; failed ones stay for a person), job runs, stopped workers."""
    from voronka.automation.models import JobRun

    now = now or timezone.now()
    before = now - dt.timedelta(days=keep_days)
    tasks, _ = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=before).delete()
    runs, _ = JobRun.objects.filter(created_at__lt=before).delete()
    workers, _ = WorkerHeartbeat.objects.filter(last_seen__lt=before).delete()
    return {"finished tasks deleted": tasks, "job runs deleted": runs, "old worker rows deleted": workers}


class Housekeeper(threading.Thread):
    """The worker's second thread: heartbeat, lost-task recovery and the scheduler, every few seconds."""

    def __init__(self, *, worker_id: str, scheduler: bool, interval: float) -> None:
        super().__init__(name="voronka-housekeeper", daemon=True)
        self.worker_id = worker_id
        self.scheduler = scheduler
        self.interval = interval
        self.stopping = threading.Event()

    def step(self) -> None:
        from voronka.automation.scheduler import schedule_due

        close_old_connections()
        beat(worker_id=self.worker_id, runs_scheduler=self.scheduler)
        recover_lost_tasks()
        if self.scheduler:
            schedule_due()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    self.step()
                except Exception:  # a database hiccup: log, try again at the next beat
                    logger.exception("worker housekeeping failed", extra={"worker_id": self.worker_id})
                self.stopping.wait(self.interval)
        finally:
            connection.close()


def _keep_connections() -> None:
    """A worker is one long process: keep its database connection between tasks (the loop calls
    ``close_old_connections`` twice per task, which with ``CONN_MAX_AGE=0`` reconnects every time), with
    Django's health check so that a connection the server dropped is replaced."""
    from django.db import connections

    for alias in connections:
        conf = connections[alias].settings_dict
        if not conf.get("CONN_MAX_AGE"):
            conf["CONN_MAX_AGE"] = 600
            conf["CONN_HEALTH_CHECKS"] = True
        if not settings.VORONKA_WORKER_SYNCHRONOUS_COMMIT and conf["ENGINE"].endswith("postgresql"):
            options = conf.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


def _batch_worker_class():
    """``BatchWorker``, built on first use (django-tasks-db's command module needs the app registry)."""
    import json
    import time

    from django.db.utils import OperationalError
    from django_tasks_db.compat import task_finished, task_started
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    class BatchWorker(Worker):
        """django-tasks-db's loop with fewer commits per job (docs/benchmarks.md, worker).

        The stock loop commits twice per job: the claim (its own transaction) and the result (an autocommit
        UPDATE); on PostgreSQL each commit waits for the disk flush. This loop claims up to ``claim`` ready
        jobs in one transaction (``SKIP LOCKED``, the queue's order), runs them one after another (each
        job's own writes commit as before), and writes their results in the transaction that claims the
        next ones: about one commit per ``claim`` jobs besides the jobs' own. A job not started within
        ``window`` seconds of its claim is given back (READY again) in that same transaction, so a slow job
        never holds the rest of its batch. Crash safety is unchanged: a job claimed or run but whose result
        was not yet written is RUNNING under a dead worker and ``recover_lost_tasks`` queues it again (every
        job is idempotent). A stop signal finishes the job at hand, writes the results, gives back the rest.
        """

        def __init__(self, *, claim: int, window: float, **kwargs) -> None:
            super().__init__(**kwargs)
            self.claim_size = max(1, claim)
            self.window = window
            self.finished: list[DBTaskResult] = []
            self.unstarted: list[DBTaskResult] = []
            self.wake = threading.Event()

        def shutdown(self, signum, frame) -> None:
            if not self.running:  # a second signal: stop now (the next worker redoes what was not written)
                super().shutdown(signum, frame)
            self.running = False
            self.wake.set()

        def _settle(self) -> None:
            """Write the finished jobs' results and give back the claimed jobs not started (in the caller's
            transaction). The results go as one ``executemany`` (psycopg pipelines it: one round trip)."""
            if self.finished:
                from django.db import connections

                conn = connections[DBTaskResult.objects.db]
                names = ("status", "return_value", "finished_at", "exception_class_path", "traceback")
                fields = [DBTaskResult._meta.get_field(n) for n in (*names, "id")]
                table = conn.ops.quote_name(DBTaskResult._meta.db_table)
                sets = ", ".join(f"{conn.ops.quote_name(f.column)} = %s" for f in fields[:-1])
                sql = f"UPDATE {table} SET {sets} WHERE {conn.ops.quote_name(fields[-1].column)} = %s"
                rows = [[f.get_db_prep_value(getattr(row, f.attname), conn) for f in fields]
                        for row in self.finished]
                with conn.cursor() as cursor:
                    cursor.executemany(sql, rows)
            for row in self.unstarted:
                DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.READY, started_at=None, worker_ids=row.worker_ids[:-1])
            self.finished, self.unstarted = [], []

        def _claim(self, tasks) -> list[DBTaskResult]:
            with exclusive_transaction(tasks.db):
                self._settle()
                if not self.running:
                    return []
                limit = self.claim_size
                if self.max_tasks is not None:
                    limit = min(limit, self.max_tasks - self._run_tasks)
                rows = list(tasks.select_for_update(skip_locked=True)[:limit])
                now = timezone.now()
                by_history: dict[str, list[DBTaskResult]] = {}  # one UPDATE per earlier-attempts list
                for row in rows:
                    row.status, row.started_at = TaskResultStatus.RUNNING, now
                    row.worker_ids = [*row.worker_ids, self.worker_id]
                    by_history.setdefault(json.dumps(row.worker_ids), []).append(row)
                for group in by_history.values():
                    DBTaskResult.objects.filter(pk__in=[r.pk for r in group]).update(
                        status=TaskResultStatus.RUNNING, started_at=now, worker_ids=group[0].worker_ids)
                return rows

        def run_task(self, db_task_result: DBTaskResult) -> None:
            """As django-tasks-db's, but the result waits in memory for the next claim's transaction."""
            try:
                self.running_task = True
                task = db_task_result.task
                task_result = db_task_result.task_result
                task_started.send(sender=task.get_backend(), task_result=task_result)
                if task.takes_context:
                    from django_tasks_db.compat import TaskContext

                    value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
                else:
                    value = task.call(*task_result.args, **task_result.kwargs)
                db_task_result.status, db_task_result.return_value = TaskResultStatus.SUCCESSFUL, value
                db_task_result.exception_class_path = db_task_result.traceback = ""
                db_task_result.finished_at = timezone.now()
                json.dumps(value, cls=DBTaskResult._meta.get_field("return_value").encoder)  # fail here, not at save
                task_finished.send(sender=task.get_backend(), task_result=db_task_result.task_result)
            except BaseException as exc:  # as the stock loop: the job failed, the worker goes on
                from traceback import format_exception

                db_task_result.status, db_task_result.return_value = TaskResultStatus.FAILED, None
                db_task_result.finished_at = timezone.now()
                db_task_result.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
                db_task_result.traceback = "".join(format_exception(exc))
                try:
                    task_finished.send(sender=type(db_task_result.task.get_backend()),
                                       task_result=db_task_result.task_result)
                except Exception:
                    logger.exception("task failed unexpectedly", extra={"task_id": str(db_task_result.id)})
            finally:
                self.finished.append(db_task_result)
                self.running_task = False
                self._run_tasks += 1

        def run(self) -> None:
            try:
                while self.running:
                    close_old_connections()
                    tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
                    if not self.process_all_queues:
                        tasks = tasks.filter(queue_name__in=self.queue_names)
                    try:
                        rows = self._claim(tasks)
                    except OperationalError as exc:
                        if not is_locked_database_exception(exc):
                            raise
                        rows = None  # SQLite busy: try again
                    claimed = time.monotonic()
                    for index, row in enumerate(rows or []):
                        if not self.running or (index and time.monotonic() - claimed > self.window):
                            self.unstarted = rows[index:]
                            break
                        self.run_task(row)
                    if self.batch and rows == []:
                        return
                    if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                        return
                    if self.running and not rows:
                        self.wake.wait(self.interval)
            finally:
                close_old_connections()
                if self.finished or self.unstarted:
                    with exclusive_transaction(DBTaskResult.objects.db):
                        self._settle()

    return BatchWorker


def run_worker(*, interval: float = 1.0, scheduler: bool = True, worker_id: str = "",
               queue_name: str = "default", max_tasks: int | None = None, batch: bool = False) -> None:
    """``voronka worker``: the django-tasks-db loop in this thread, the housekeeper beside it (``batch``:
    until the queue is empty, beating all the while so that nobody takes its long task back)."""
    from django.utils.crypto import get_random_string
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
    from django_tasks_db.management.commands.db_worker import Worker

    worker_id = worker_id or f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"
    _keep_connections()
    housekeeper = Housekeeper(worker_id=worker_id, scheduler=scheduler,
                              interval=float(settings.VORONKA_WORKER_HEARTBEAT_SECONDS))
    beat(worker_id=worker_id, runs_scheduler=scheduler)
    housekeeper.start()
    options = {"queue_names": queue_name.split(","), "interval": interval, "batch": batch,
               "backend_name": DEFAULT_TASK_BACKEND_ALIAS, "startup_delay": False, "max_tasks": max_tasks,
               "worker_id": worker_id, "excluded_queue_names": []}
    claim = int(settings.VORONKA_WORKER_CLAIM)
    worker = (_batch_worker_class()(claim=claim, window=float(settings.VORONKA_WORKER_CLAIM_WINDOW), **options)
              if claim > 1 else Worker(**options))
    worker.configure_signals()
    logger.info("worker started", extra={"worker_id": worker_id, "scheduler": scheduler})
    try:
        worker.run()
    finally:
        housekeeper.stopping.set()
        housekeeper.join(timeout=5)
        close_old_connections()
        stop_beating(worker_id=worker_id)


def run_scheduler(*, interval: float = 5.0, once: bool = False) -> None:
    """``voronka scheduler``: only the scheduler pass (and lost-task recovery), every ``interval`` seconds."""
    from voronka.automation.scheduler import schedule_due

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    while True:
        close_old_connections()
        try:
            recover_lost_tasks()
            for run in schedule_due():
                print(f"scheduled {run.job} for {run.slot.isoformat()}", flush=True)
        except Exception:
            logger.exception("scheduler pass failed")
            if once:
                raise
        if once or stopping.wait(interval):
            return
