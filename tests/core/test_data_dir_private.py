"""The embedded data directory and the SQLite files are private to the service user."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_installation_creates_private_files(tmp_path):
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(VORONKA_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="voronka.settings")
    subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, check=True)
    database = data / "voronka.sqlite3"
    with sqlite3.connect(database) as connection:  # WAL mode creates the -wal and -shm files
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        assert (data / "voronka.sqlite3-wal").exists()
        assert _mode(data / "voronka.sqlite3-wal") & 0o077 == 0
    assert _mode(data) == 0o700
    assert _mode(database) == 0o600 and _mode(data / "secret_key") == 0o600


def test_an_older_world_readable_installation_is_closed_on_start(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "voronka.sqlite3").touch(mode=0o644)
    os.chmod(data, 0o755)
    os.chmod(data / "voronka.sqlite3", 0o644)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(VORONKA_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="voronka.settings")
    subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, check=True)
    assert _mode(data) == 0o700 and _mode(data / "voronka.sqlite3") == 0o600
