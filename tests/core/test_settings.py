"""Settings come from the environment with safe embedded defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

_CLEARED = ("DATABASE_URL", "DATABASE_REPLICA_URL", "SECRET_KEY", "VORONKA_ENV", "CACHE_URL", "LOG_FORMAT",
            "DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "USE_X_FORWARDED_PROTO",
            "SECURE_PROXY_SSL_HEADER", "WEB_WORKERS")


def _run(code: str, env: dict, args: list[str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code, *(args or [])], env=full_env, capture_output=True,
                          text=True, timeout=120)


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


_SECURITY = ("import voronka.settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
             "s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, s.CACHES['default']['BACKEND'].rsplit('.', 1)[1])")


def _production(tmp_path: Path, **env: str) -> dict:
    return {"VORONKA_DATA_DIR": str(tmp_path), "VORONKA_ENV": "production", "SECRET_KEY": "x" * 50,
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", **env}


def test_production_turns_on_ssl_redirect_and_hsts_and_trusts_no_proxy_header_unless_told(tmp_path: Path):
    result = _run(_SECURITY, _production(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "31536000", "None", "True", "LocMemCache"]


def test_embedded_mode_has_no_redirect_and_no_hsts(tmp_path: Path):
    result = _run(_SECURITY, {"VORONKA_DATA_DIR": str(tmp_path)})
    assert result.stdout.split() == ["False", "0", "None", "False", "LocMemCache"]


def test_flags_switch_redirect_hsts_and_the_proxy_header(tmp_path: Path):
    result = _run(_SECURITY, _production(tmp_path, SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="3600",
                                         USE_X_FORWARDED_PROTO="1"))
    assert result.stdout.split()[:2] == ["False", "3600"]
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout
    custom = _run(_SECURITY, {"VORONKA_DATA_DIR": str(tmp_path), "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Ssl,on"})
    assert "('HTTP_X_FORWARDED_SSL', 'on')" in custom.stdout
    bad = _run(_SECURITY, {"VORONKA_DATA_DIR": str(tmp_path), "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"})
    assert bad.returncode != 0 and "SECURE_PROXY_SSL_HEADER must be" in bad.stderr


def test_behind_the_proxy_https_requests_are_served_and_plain_http_is_redirected(tmp_path: Path):
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='voronka.settings'; django.setup();"
            "from django.test import Client; c = Client();"
            "print(c.get('/healthz').status_code, c.get('/healthz', headers={'x-forwarded-proto': 'https'}).status_code,"
            " c.get('/login/').status_code, c.get('/login/', headers={'x-forwarded-proto': 'https'}).status_code,"
            " c.get('/healthz', headers={'x-forwarded-proto': 'https'}).headers.get('Strict-Transport-Security'))")
    result = _run(code, _production(tmp_path, USE_X_FORWARDED_PROTO="1", ALLOWED_HOSTS="testserver"))
    assert result.returncode == 0, result.stderr
    # health probes answer over plain HTTP; pages redirect to HTTPS; HTTPS answers carry HSTS
    assert result.stdout.split() == ["200", "200", "301", "200", "max-age=31536000"]


def test_an_unknown_cache_url_is_refused(tmp_path: Path):
    result = _run(_SECURITY, {"VORONKA_DATA_DIR": str(tmp_path), "CACHE_URL": "memcached://127.0.0.1:11211"})
    assert result.returncode != 0 and "CACHE_URL must be" in result.stderr


def _redis_available() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_available(), reason="no Redis server at 127.0.0.1:6379")
def test_redis_cache_url_gives_a_cache_shared_by_processes(tmp_path: Path):
    env = {"VORONKA_DATA_DIR": str(tmp_path), "CACHE_URL": "redis://127.0.0.1:6379/15",
           "CACHE_KEY_PREFIX": f"voronka-test-{os.getpid()}"}
    setup = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='voronka.settings'; django.setup();" \
            "from django.core.cache import cache;"
    writer = _run(setup + "cache.set('probe', 'shared', 30); from django.core.cache import caches; print(type(caches['default']).__name__)", env)
    assert writer.returncode == 0, writer.stderr
    assert writer.stdout.strip() == "RedisCache"
    reader = _run(setup + "print(cache.get('probe')); cache.delete('probe')", env)
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout.strip() == "shared"
