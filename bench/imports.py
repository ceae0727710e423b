"""Import benchmark: rows per second and peak Python memory of ``voronka import deals`` at N rows.

Runs in a fresh data directory (SQLite) unless DATABASE_URL is set: migrates, imports 30 users and 1,000
clients, writes a synthetic deals CSV (ISO and Russian dates, open/won/lost, Russian-style amounts), then
imports it twice: once timed (applied), once as a dry run under tracemalloc (peak memory; tracemalloc slows
the run, so its time is not the figure). Prints one JSON line.

    python -m bench.imports --rows 100000 [--rows 10000 ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

if "DATABASE_URL" not in os.environ:
    os.environ.setdefault("VORONKA_DATA_DIR", tempfile.mkdtemp(prefix="voronka-bench-import-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

MAPPING = {
    "kind": "deals",
    "pipeline": {"name": "Bench", "slug": "bench", "stages": ["New", "Qualified", "Proposal"]},
    "fields": {
        "title": "title", "client": "client", "owner": "owner", "stage": "stage",
        "status": {"column": "status", "values": {"Won": "won", "Lost": "lost", "Open": "open"}},
        "created_at": "created", "closed_at": "closed", "amount": {"column": "amount", "if_empty": 0},
        "lost_reason": {"value": "No budget"},
    },
}


def _write_csv(path: Path, rows: int, agents: list[str], clients: list[str]) -> None:
    rnd = random.Random(7)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerow(["title", "client", "owner", "stage", "status", "created", "closed", "amount"])
        for i in range(rows):
            status = rnd.choice(["Won", "Lost", "Open", "Open"])
            day, month, year = rnd.randint(1, 28), rnd.randint(1, 12), rnd.choice([2023, 2024])
            created = f"{day:02d}.{month:02d}.{year}" if i % 2 else f"{year}-{month:02d}-{day:02d}"
            closed = f"{year + 1}-{month:02d}-{day:02d}" if status != "Open" else ""
            amount = f"{rnd.randint(1, 900)} {rnd.randint(0, 999):03d},{rnd.randint(0, 99):02d}" \
                if status == "Won" else ""
            out.writerow([f"Deal {i}", rnd.choice(clients), rnd.choice(agents),
                          rnd.choice(["New", "Qualified", "Proposal"]), status, created, closed, amount])


def run(rows: int) -> dict:
    from voronka.accounts.models import Role, User
    from voronka.clients.models import Client
    from voronka.imports.services import run_import, undo_import

    admin = User.objects.filter(username="bench-admin").first() or User.objects.create(
        username="bench-admin", role=Role.ADMIN, is_superuser=True)
    work = Path(tempfile.mkdtemp(prefix="voronka-bench-csv-"))
    if not User.objects.filter(username__startswith="agent").exists():
        (work / "users.csv").write_text("name\n" + "\n".join(f"Agent {i}" for i in range(30)) + "\n")
        run_import(actor=admin, kind="users", path=work / "users.csv", mapping={"fields": {"name": "name"}})
        (work / "clients.csv").write_text("name\n" + "\n".join(f"Client {i}" for i in range(1000)) + "\n")
        run_import(actor=admin, kind="clients", path=work / "clients.csv", mapping={"fields": {"name": "name"}})
    agents = [u.get_full_name() for u in User.objects.filter(username__startswith="agent")]
    clients = list(Client.objects.values_list("name", flat=True))
    path = work / "deals.csv"
    _write_csv(path, rows, agents, clients)

    started, cpu = time.perf_counter(), time.process_time()
    batch = run_import(actor=admin, kind="deals", path=path, mapping=MAPPING)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if batch.status != "applied":
        raise SystemExit(f"import failed: {batch.errors[:3]}")
    tracemalloc.start()
    dry = run_import(actor=admin, kind="deals", path=path, mapping=MAPPING, dry_run=True)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if dry.status != "dry_run":
        raise SystemExit(f"dry run failed: {dry.errors[:3]}")
    undo_started = time.perf_counter()
    undo_import(actor=admin, batch=batch)
    undo_seconds = time.perf_counter() - undo_started
    return {"database": connection.vendor, "rows": rows, "seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds),
            "cpu_seconds": round(cpu, 2), "rows_per_cpu_second": round(rows / cpu), "peak_mib": round(peak / 2**20, 1),
            "file_mib": round(path.stat().st_size / 2**20, 1), "undo_seconds": round(undo_seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append")
    ns = parser.parse_args()
    call_command("migrate", "--no-input", "-v", "0")
    for rows in ns.rows or [100_000]:
        print(json.dumps(run(rows)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
