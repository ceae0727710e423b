"""Primary/replica routing: writes and ordinary reads stay on ``default``; reports ask for the replica.

A replica lags behind the primary, so no page read goes there implicitly (a user who just saved a deal
must see it). Report code opts in explicitly::

    Deal.objects.using(reporting_db()).filter(...)
    with reporting_cursor() as cursor: cursor.execute(sql, params)

``reporting_db()`` is ``"replica"`` when ``DATABASE_REPLICA_URL`` is set, else ``"default"``. The router
keeps related lookups on the database their instance came from, sends every write to the primary (an
object read from the replica and saved goes to ``default``), and migrates only the primary.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorWrapper

REPLICA_DB_ALIAS = "replica"
_ALIASES = {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}


def reporting_db() -> str:
    """The database alias report reads use: the replica when configured, else the primary."""
    return REPLICA_DB_ALIAS if REPLICA_DB_ALIAS in settings.DATABASES else DEFAULT_DB_ALIAS


def reporting_cursor() -> CursorWrapper:
    """A cursor on :func:`reporting_db` for hand-written report SQL (use it as a context manager)."""
    return connections[reporting_db()].cursor()


class PrimaryReplicaRouter:
    """Installed as ``DATABASE_ROUTERS``; see the module docstring."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        instance = hints.get("instance")
        if instance is not None and instance._state.db in _ALIASES:
            return instance._state.db
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        if obj1._state.db in _ALIASES and obj2._state.db in _ALIASES:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db != REPLICA_DB_ALIAS
