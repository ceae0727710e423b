"""`voronka backup` under write load restores to a consistent, identical database (SQLite and PostgreSQL).

Each run uses real processes on a real installation: `voronka migrate`, a writer process creating deals
through the services, `voronka backup` in the middle of it, `voronka restore` into an empty database.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("DATABASE_URL", "")
ON_PG = PG_URL.startswith("postgres")

WRITER = """
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "voronka.settings"
django.setup()
from tests.factories import build_world, make_deal
world = build_world()
stop = sys.argv[1]
made = 0
while not os.path.exists(stop) and made < 2000:
    make_deal(world.owner, world.pipeline, title=f"Сделка {made}")
    made += 1
    if made == 5:
        open(stop + ".ready", "w").close()
print(made)
"""


def _env(database: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VORONKA_TESTING")}
    env["VORONKA_DATA_DIR"] = str(data_dir)
    if database:
        env["DATABASE_URL"] = database
    return env


def _voronka(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voronka.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def databases(tmp_path):
    """Two empty databases (source and restore target) of the engine under test."""
    if not ON_PG:
        yield "", ""
        return
    names = [f"voronka_bk_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    for name in names:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(database: str, data_dir: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, as text (so both engines compare alike)."""
    if database:
        import psycopg

        with psycopg.connect(database) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
            return {t: sorted(tuple(map(str, row)) for row in conn.execute(f'SELECT * FROM "{t}"')) for t in tables}
    conn = sqlite3.connect(data_dir / "voronka.sqlite3")
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: sorted(tuple(map(str, row)) for row in conn.execute(f'SELECT * FROM "{t}"')) for t in tables}
    finally:
        conn.close()


def _checksums(rows: dict[str, list[tuple]]) -> dict[str, tuple[int, str]]:
    return {t: (len(r), hashlib.sha256(repr(r).encode()).hexdigest()) for t, r in rows.items()}


@pytest.mark.postgres
def test_a_backup_under_write_load_restores_to_a_consistent_identical_database(tmp_path, databases):
    source_db, target_db = databases
    source, target = tmp_path / "source", tmp_path / "target"
    env_source, env_target = _env(source_db, source), _env(target_db, target)
    assert _voronka("migrate", env=env_source).returncode == 0
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(stop)], env=env_source, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not Path(f"{stop}.ready").exists():
            assert writer.poll() is None, writer.stderr.read()
            assert time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.1)
        archive = tmp_path / "voronka.backup"
        result = _voronka("backup", str(archive), env=env_source)  # while the writer goes on
        assert result.returncode == 0, result.stderr
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert (archive.stat().st_mode & 0o077) == 0  # the whole client base: private

    result = _voronka("restore", str(archive), env=env_target)
    assert result.returncode == 0, result.stderr
    restored, live = _rows(target_db, target), _rows(source_db, source)
    assert set(restored) == set(live)
    deals, tasks = restored["deals_deal"], restored["activities_task"]
    assert 5 <= len(deals) <= int(out)
    # One moment: the writer commits each deal with its task and log row together, so a consistent
    # snapshot has them all or none, and every restored row is exactly the row the source holds.
    assert len(tasks) == len(deals) == len(restored["deals_stagetransition"])
    for table, rows in restored.items():
        assert set(rows) <= set(live[table]), table

    # A second backup of the quiet source restores to an identical database: same rows in every table.
    again = tmp_path / "again"
    assert _voronka("backup", str(archive), env=env_source).returncode == 0
    if ON_PG:
        _pg_admin(f'DROP DATABASE "{target_db.rsplit("/", 1)[1]}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{target_db.rsplit("/", 1)[1]}"')
        env_again = env_target
    else:
        env_again = _env("", again)
    assert _voronka("restore", str(archive), env=env_again).returncode == 0
    assert _checksums(_rows(target_db, again if not ON_PG else target)) == _checksums(live)


def test_restore_refuses_a_database_that_is_not_empty_and_a_file_that_is_no_backup(tmp_path, databases):
    source_db, _target_db = databases
    env = _env(source_db, tmp_path / "live")
    assert _voronka("migrate", env=env).returncode == 0
    archive = tmp_path / "voronka.backup"
    assert _voronka("backup", str(archive), env=env).returncode == 0
    before = _checksums(_rows(source_db, tmp_path / "live"))
    refused = _voronka("restore", str(archive), env=env)
    assert refused.returncode == 2 and "not empty" in refused.stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    refused = _voronka("restore", str(junk), env=_env("", tmp_path / "other") if not ON_PG else env)
    assert refused.returncode == 2 and "not a Voronka backup" in refused.stderr
    assert _checksums(_rows(source_db, tmp_path / "live")) == before
