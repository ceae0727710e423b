"""One case-insensitive text search for every list and the global search, Unicode-aware on both databases.

``text_contains("name", "ромашка")`` matches "ООО Ромашка" on SQLite (whose LIKE and LOWER() fold ASCII
only) and PostgreSQL alike: both sides are folded with ``fold`` (lower case, "ё" read as "е", so "Семен"
finds "Семён"). On SQLite the database side is the function ``voronka_fold`` that ``core.apps`` registers
on every connection; on PostgreSQL it is ``REPLACE(LOWER(x), 'ё', 'е')`` (``lower()`` follows the
database's UTF-8 ctype).
"""

from __future__ import annotations

from django.db.models import CharField, Q, TextField, Transform

SQLITE_FUNCTION = "voronka_fold"


def fold(value: str | None) -> str | None:
    """The search form of a text: lower case with "ё" as "е" (the same on both databases)."""
    if value is None:
        return None
    return str(value).lower().replace("ё", "е")


class Fold(Transform):
    """``field__fold``: the field's text in its search form (see ``fold``)."""

    lookup_name = "fold"

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return f"REPLACE(LOWER({sql}), %s, %s)", (*params, "ё", "е")

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        return f"{SQLITE_FUNCTION}({sql})", params


CharField.register_lookup(Fold)
TextField.register_lookup(Fold)


def text_contains(field: str, text: str) -> Q:
    """``field`` contains ``text`` ignoring case (Cyrillic included) and ё/е.

    An ASCII-only text needs no folding of the column: the database's own case-insensitive ``contains``
    is correct for it and cheaper, so only a text with other letters pays for the function.
    """
    text = text or ""
    if text.isascii():
        return Q(**{f"{field}__icontains": text})
    return Q(**{f"{field}__fold__contains": fold(text)})


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: give SQLite connections the Unicode-aware ``voronka_fold``."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
