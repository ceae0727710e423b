"""Real ``voronka`` processes on the test database (a file SQLite database or PostgreSQL, committed data:
tests use ``django_db(transaction=True)``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str | None:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    name = str(s["NAME"])
    if connection.vendor == "sqlite" and name and ":memory:" not in name and "mode=memory" not in name:
        return f"sqlite:///{os.path.abspath(name)}"
    return None


@pytest.fixture
def shared_db(transactional_db):
    """Committed data in a database another process can open (a file SQLite database or PostgreSQL)."""
    if database_url() is None:
        pytest.skip("needs a database another process can open (VORONKA_TEST_DB_NAME or PostgreSQL)")


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    url = database_url()
    assert url, "the test database is in memory"
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "voronka.settings", "DATABASE_URL": url,
            "VORONKA_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            "VORONKA_WORKER_HEARTBEAT_SECONDS": "1", "VORONKA_WORKER_STALE_SECONDS": "3",
            "VORONKA_TESTING": "", **extra}


def start(args: list[str], tmp_path: Path, **extra: str) -> subprocess.Popen:
    log = open(tmp_path / f"proc-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "voronka.cli", *args], env=env(tmp_path, **extra),
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def wait_for(predicate, timeout: float = 30.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()
