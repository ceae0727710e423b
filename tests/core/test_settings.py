"""Settings come from the environment with safe embedded defaults."""

import os
import subprocess
import sys
from pathlib import Path


def _run(code: str, env: dict) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "VORONKA_ENV")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60)


def test_embedded_mode_generates_and_keeps_a_secret_key(tmp_path: Path):
    code = "import voronka.settings as s; print(s.SECRET_KEY); print(s.DATABASES['default']['ENGINE']); print(s.DEBUG)"
    first = _run(code, {"VORONKA_DATA_DIR": str(tmp_path)})
    second = _run(code, {"VORONKA_DATA_DIR": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    key, engine, debug = first.stdout.split()
    assert len(key) > 40
    assert second.stdout.split()[0] == key
    assert engine == "django.db.backends.sqlite3"
    assert debug == "False"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_sqlite_runs_in_wal_mode(tmp_path: Path):
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='voronka.settings'; django.setup();"
            "from django.db import connection; c=connection.cursor(); c.execute('PRAGMA journal_mode');"
            "print(c.fetchone()[0])")
    result = _run(code, {"VORONKA_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"


def test_production_mode_fails_fast_without_secret_key(tmp_path: Path):
    result = _run("import voronka.settings", {"VORONKA_DATA_DIR": str(tmp_path), "VORONKA_ENV": "production"})
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_mode_fails_fast_without_database_url(tmp_path: Path):
    result = _run("import voronka.settings", {"VORONKA_DATA_DIR": str(tmp_path), "VORONKA_ENV": "production",
                                              "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "DATABASE_URL is required" in result.stderr


def test_database_url_selects_postgresql(tmp_path: Path):
    code = "import voronka.settings as s; d=s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'])"
    result = _run(code, {"VORONKA_DATA_DIR": str(tmp_path),
                         "DATABASE_URL": "postgresql://postgres@db.example:5432/voronka"})
    assert result.stdout.split() == ["django.db.backends.postgresql", "voronka", "db.example"]
