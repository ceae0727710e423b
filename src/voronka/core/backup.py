"""``voronka backup FILE`` / ``voronka restore FILE``: a consistent snapshot of the whole database.

SQLite: the online backup API copies the database page by page inside one read transaction, so writers
may go on and the copy is the state at one moment (the file is itself a SQLite database). PostgreSQL:
``pg_dump --format=custom`` (one repeatable-read transaction: a consistent snapshot) and ``pg_restore`` in one
transaction. A restore goes only into an empty database (no tables): it never merges into live data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.db import connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def _settings(alias: str) -> dict:
    return connections[alias].settings_dict


def _vendor(alias: str) -> str:
    return connections[alias].vendor


def _pg_env(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def backup(target: Path, *, alias: str = "default") -> Path:
    """Write a consistent snapshot of the database to ``target`` (replaced atomically when complete)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial_name = tempfile.mkstemp(prefix=".backup-", dir=target.parent)
    os.close(fd)
    partial = Path(partial_name)
    try:
        if _vendor(alias) == "sqlite":
            source = sqlite3.connect(_settings(alias)["NAME"])
            copy = sqlite3.connect(partial)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
        elif _vendor(alias) == "postgresql":
            db = _settings(alias)
            result = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                                     "--file", str(partial), db["NAME"]], env=_pg_env(db), capture_output=True,
                                    text=True, check=False)
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        else:
            raise BackupError(f"backups of {_vendor(alias)} databases are not supported")
        partial.chmod(0o600)  # the whole client base: private to the service user
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _kind(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a Voronka backup (neither a SQLite database nor a pg_dump archive)")


def _tables(alias: str) -> list[str]:
    with connections[alias].cursor() as cursor:
        return connections[alias].introspection.table_names(cursor)


def restore(source: Path, *, alias: str = "default") -> None:
    """Restore a backup into the (empty) database of ``alias``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    kind, vendor = _kind(source), _vendor(alias)
    if kind != vendor:
        raise BackupError(f"{source} is a {kind} backup; this installation uses {vendor}")
    if _tables(alias):
        raise BackupError("the database is not empty: restore into a new data directory or an empty database")
    if vendor == "sqlite":
        connections[alias].close()
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_settings(alias)["NAME"])
        try:
            with live:
                backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
        return
    db = _settings(alias)
    connections[alias].close()
    result = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
                             "--exit-on-error", "--dbname", db["NAME"], str(source)], env=_pg_env(db),
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
