"""Append-only tables (the stage log, the audit trail): rows are inserted, never changed or deleted.

The ORM refuses it here; on PostgreSQL a trigger refuses it in the database too (``audit`` migration 0002),
so neither the admin, a shell nor a raw ``UPDATE`` can rewrite history.
"""

from __future__ import annotations

from django.db import models


class AppendOnlyError(TypeError):
    """A change or deletion of a row of an append-only table."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} is append-only")


class AppendOnlyModel(models.Model):
    """Inserts only: ``save()`` of an existing row and ``delete()`` raise ``AppendOnlyError``."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} is append-only")


def refuse_changes_sql(table: str) -> tuple[str, str]:
    """PostgreSQL: a trigger that refuses UPDATE and DELETE on ``table`` (forward SQL, reverse SQL)."""
    function, trigger = f"{table}_append_only", f"{table}_append_only_trg"
    forward = f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}();
    """
    reverse = f"DROP TRIGGER IF EXISTS {trigger} ON {table}; DROP FUNCTION IF EXISTS {function}();"
    return forward, reverse
