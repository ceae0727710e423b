"""The ``voronka`` console script."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import sign_in
from voronka.cli import build_parser, main

VORONKA = Path(sys.executable).with_name("voronka")


def test_parser_knows_the_contract_commands():
    parser = build_parser()
    for argv in (["serve", "--host", "0.0.0.0", "--port", "9000"], ["worker", "--batch"], ["migrate"],
                 ["demo", "--size", "small", "--seed", "7"], ["createadmin"], ["check"], ["pipeline", "lint"]):
        ns = parser.parse_args(argv)
        assert callable(ns.func)
    assert parser.parse_args(["serve", "--port", "9000"]).port == "9000"


def test_demo_rejects_an_unknown_size():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--size", "huge"])


@pytest.mark.django_db
def test_createadmin_creates_a_superuser_that_can_sign_in(client):
    main(["createadmin", "--username", "boss", "--password", "s3cret-pass"])
    assert sign_in(client, "boss", "s3cret-pass")


def test_console_script_migrates_and_checks_a_fresh_data_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["VORONKA_DATA_DIR"] = str(tmp_path)
    migrate = subprocess.run([str(VORONKA), "migrate"], env=env, capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    check = subprocess.run([str(VORONKA), "check"], env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    assert "database: sqlite ok" in check.stdout
    assert (tmp_path / "voronka.sqlite3").exists()


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "VORONKA_ENV", "CACHE_URL", "WEB_WORKERS")}
    env.update(VORONKA_DATA_DIR=str(tmp_path), **extra)
    return env


def test_serve_refuses_to_start_while_migrations_are_pending_and_does_not_migrate(tmp_path):
    serve = subprocess.run([str(VORONKA), "serve", "--port", "8765"], env=_env(tmp_path),
                           capture_output=True, text=True, timeout=120)
    assert serve.returncode == 2
    assert "run `voronka migrate` first" in serve.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "voronka.sqlite3") as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == []  # serve touched no schema


def test_serve_in_production_refuses_several_processes_without_a_shared_cache(tmp_path):
    env = _env(tmp_path, VORONKA_ENV="production", SECRET_KEY="x" * 50,
               DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    serve = subprocess.run([str(VORONKA), "serve", "--workers", "3"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert serve.returncode == 2
    assert "need a shared cache: set CACHE_URL=redis://" in serve.stderr


@pytest.mark.django_db
def test_serve_starts_on_a_migrated_database(settings):
    from voronka.cli import _serve_refusal

    assert _serve_refusal(4) is None
    settings.PRODUCTION = True
    assert "shared cache" in _serve_refusal(4)
    assert _serve_refusal(1) is None
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/15"}}
    assert _serve_refusal(4) is None


def _production_env(tmp_path, **extra):
    env = _env(tmp_path, VORONKA_ENV="production", SECRET_KEY="x" * 20 + "-Production-Secret-Key-0123456789",
               ALLOWED_HOSTS="crm.example.com", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
               USE_X_FORWARDED_PROTO="1", CACHE_URL="locmem://", **extra)
    # The browser tests allow async-unsafe calls in this process (Playwright's live server); a deployment never.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    """The documented production settings pass Django's deployment checklist and ours without a warning."""
    check = subprocess.run([str(VORONKA), "check", "--deploy"], env=_production_env(tmp_path), capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "System check identified no issues" in check.stdout + check.stderr
    assert "WARNINGS" not in check.stdout + check.stderr


def test_check_reports_an_unreachable_database_without_a_traceback(tmp_path):
    env = _production_env(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"
    check = subprocess.run([str(VORONKA), "check"], env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 1
    assert "database: sqlite unreachable" in check.stderr and "Traceback" not in check.stderr


def test_check_reports_failed_checks_without_a_traceback(tmp_path):
    env = _production_env(tmp_path)
    env["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"  # a setting Django's deployment check refuses
    check = subprocess.run([str(VORONKA), "check", "--deploy"], env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 1
    assert "async.E001" in check.stderr and "Traceback" not in check.stderr
