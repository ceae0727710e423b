"""Worker benchmark: small jobs per second through real ``voronka worker`` processes, SQLite and PostgreSQL.

For each database (a fresh temporary SQLite file, or a PostgreSQL database ``voronka_bench_worker`` created
and dropped through ``BENCH_PG_URL``) a child process migrates, queues N jobs and starts K workers
(``voronka worker --no-scheduler``). The rate is N over the span from the first job's start to the last
job's finish, read from the queue's own timestamps (the workers' start-up is not counted). Two kinds of job:

- ``noop``: ``automation.tasks.noop`` (the queue's own cost: claim, run, store the result);
- ``dispatch``: ``events.tasks.dispatch_outbox_event`` on a pending outbox row with no handlers (the
  smallest real job: lock the row, mark it dispatched).

    python -m bench.worker [--databases sqlite,postgresql] [--jobs 2000] [--workers 1,2,4] [--kinds noop,dispatch]
                           [--async-commit]

Prints one JSON line per run and a Markdown table at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_NAME = os.environ.get("BENCH_PG_NAME", "voronka_bench_worker")  # e.g. voronka_bench_worker_auto3


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def _database_url(database: str, data_dir: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{data_dir}/bench.sqlite3"
    _pg(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
    _pg(f'CREATE DATABASE "{PG_NAME}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{PG_NAME}"


def _child_env(url: str, data_dir: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "VORONKA_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "voronka.settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}


def child(ns: argparse.Namespace) -> None:
    """In a process with DATABASE_URL set: queue the jobs, run the workers, measure."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max, Min
    from django.utils import timezone
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from voronka.automation.tasks import noop
    from voronka.events.models import OutboxEvent
    from voronka.events.tasks import dispatch_outbox_event

    call_command("migrate", verbosity=0)
    DBTaskResult.objects.all().delete()
    started = time.perf_counter()
    if ns.kind == "noop":
        for i in range(ns.jobs):
            noop.enqueue(i)
    else:
        events = OutboxEvent.objects.bulk_create(
            [OutboxEvent(verb="bench.ping", target_type="bench.Row", target_id=str(i)) for i in range(ns.jobs)])
        for event in events:
            dispatch_outbox_event.enqueue(event.pk)
    enqueue_seconds = time.perf_counter() - started
    connection.close()
    workers = [subprocess.Popen([sys.executable, "-m", "voronka.cli", "worker", "--no-scheduler", "--interval", "0.05"],
                                env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(ns.workers)]
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            left = DBTaskResult.objects.exclude(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]).count()
            if not left:
                break
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    span = DBTaskResult.objects.aggregate(first=Min("started_at"), last=Max("finished_at"))
    done = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count()
    seconds = (span["last"] - span["first"]).total_seconds() if span["first"] else float("nan")
    if ns.kind == "dispatch":
        assert OutboxEvent.objects.filter(dispatched_at=None).count() == 0, "some events were not dispatched"
    print(json.dumps({"database": connection.vendor, "kind": ns.kind, "workers": ns.workers, "jobs": ns.jobs,
                      "done": done, "seconds": round(seconds, 3), "jobs_per_second": round(done / seconds, 1),
                      "enqueue_per_second": round(ns.jobs / enqueue_seconds, 1),
                      "at": timezone.now().isoformat(timespec="seconds")}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--kinds", default="noop,dispatch")
    parser.add_argument("--async-commit", action="store_true",
                        help="PostgreSQL: the workers run with VORONKA_WORKER_SYNCHRONOUS_COMMIT=0")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="noop", help=argparse.SUPPRESS)
    parser.add_argument("--workers-one", dest="workers_one", type=int, default=1, help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.child:
        ns.workers = ns.workers_one
        child(ns)
        return
    results = []
    for database in ns.databases.split(","):
        for kind in ns.kinds.split(","):
            for count in (int(w) for w in ns.workers.split(",")):
                with tempfile.TemporaryDirectory(prefix="voronka-bench-worker-") as data_dir:
                    url = _database_url(database, data_dir)
                    env = _child_env(url, data_dir)
                    if ns.async_commit:
                        env["VORONKA_WORKER_SYNCHRONOUS_COMMIT"] = "0"
                    try:
                        out = subprocess.run(
                            [sys.executable, "-m", "bench.worker", "--child", "--kind", kind, "--jobs", str(ns.jobs),
                             "--workers-one", str(count)],
                            env=env, cwd=ROOT, capture_output=True, text=True, check=True)
                    except subprocess.CalledProcessError as exc:
                        print(exc.stdout, exc.stderr, file=sys.stderr)
                        raise
                    finally:
                        if database == "postgresql":
                            _pg(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
                line = json.loads(out.stdout.strip().splitlines()[-1])
                line["synchronous_commit"] = "off" if ns.async_commit and database == "postgresql" else "on"
                print(json.dumps(line), flush=True)
                results.append(line)
    print("\n| database | job | workers | synchronous_commit | jobs | seconds | jobs/s |\n"
          "|---|---|---:|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['database']} | {r['kind']} | {r['workers']} | {r['synchronous_commit']} | {r['done']} | "
              f"{r['seconds']} | {r['jobs_per_second']} |")


if __name__ == "__main__":
    main()
