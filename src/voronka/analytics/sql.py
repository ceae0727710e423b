"""One grouped SQL aggregate over a queryset of per-row values, portable between SQLite and PostgreSQL.

The ORM builds the inner query (scope, filters, joins, one column per group key and per measure input);
``aggregate`` wraps it in ``SELECT groups, aggregates ... GROUP BY groups``. Medians come from window
functions in the same statement (``ROW_NUMBER``/``COUNT`` per group), which both databases run.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connections
from django.db.models import FloatField, Func, QuerySet, Sum

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Agg:
    key: str
    fn: str  # count, sum, avg, median, max, min, count_distinct, count_if
    column: str | None = None
    where: str = ""  # count_if: a condition over the ``k_<input>`` columns of the inner query


class Seconds(Func):
    """Whole seconds from ``start`` to ``end`` (a float: the same number on SQLite and PostgreSQL)."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        start, end = (compiler.compile(e) for e in self.get_source_expressions())
        return seconds_sql(connection.vendor, start[0], end[0]), [*start[1], *end[1]]


def seconds_sql(vendor: str, start: str, end: str) -> str:
    """SQL for the whole seconds from the instant ``start`` to ``end`` (SQL expressions), as a float."""
    if vendor == "postgresql":
        return f"ROUND(EXTRACT(EPOCH FROM ({end} - {start})))::float8"
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0)"


def _agg_sql(agg: Agg) -> str:
    col = f'"k_{agg.column}"' if agg.column else None
    if agg.fn == "count":
        return f"COUNT({col})" if col else "COUNT(*)"
    if agg.fn == "count_if":
        return f"SUM(CASE WHEN {agg.where} THEN 1 ELSE 0 END)"
    if agg.fn == "count_distinct":
        return f"COUNT(DISTINCT {col})"
    if agg.fn in ("sum", "avg", "max", "min"):
        return f"{agg.fn.upper()}({col})"
    if agg.fn == "median":
        rn, cnt = f'"_rn_{agg.column}"', f'"_cnt_{agg.column}"'
        return (f"AVG(CASE WHEN {col} IS NOT NULL AND {rn} IN (({cnt} + 1) / 2, ({cnt} + 2) / 2) "
                f"THEN {col} END)")
    raise ValueError(agg.fn)


def inner_sql(qs: QuerySet, *, groups: dict[str, Any], inputs: dict[str, Any], per: dict[str, Any] | None = None
              ) -> tuple[str, list[Any]]:
    """The ORM part: one row per record (or, with ``per``, per ``per`` key and group, inputs summed)."""
    # Internal names carry a prefix so that no key can clash with a model field ("currency", "stage_id").
    keys = {f"k_{k}": v for k, v in {**(per or {}), **groups}.items()}
    if per:
        inner = qs.order_by().annotate(**keys).values(*keys).annotate(
            **{f"k_{k}": Sum(v) for k, v in inputs.items()})
    else:
        named = {**keys, **{f"k_{k}": v for k, v in inputs.items()}}
        inner = qs.order_by().annotate(**named).values(*named)
    sql, params = inner.query.get_compiler(using=qs.db).as_sql()
    return sql, list(params)


def aggregate(qs: QuerySet, *, groups: dict[str, Any], inputs: dict[str, Any], aggs: list[Agg],
              per: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run one grouped aggregate; ``groups`` and ``inputs`` are annotations put on ``qs`` here.

    The first aggregate is a count: without groups, a result whose count is 0 is no row at all.
    With ``per`` (e.g. ``{"deal": F("deal_id")}``) the inputs are first summed per that key, so a
    median is over deals rather than over log rows.
    """
    sql, params = inner_sql(qs, groups=groups, inputs=inputs, per=per)
    return outer_aggregate(qs.db, sql, params, groups=list(groups), aggs=aggs)


def outer_aggregate(alias: str, sql: str, params: list[Any], *, groups: list[str], aggs: list[Agg]
                    ) -> list[dict[str, Any]]:
    """``SELECT groups, aggregates FROM (sql) base GROUP BY groups`` with window medians.

    ``sql`` yields the columns ``k_<group>`` and ``k_<input>`` (see :func:`inner_sql`).
    """
    quoted = [f'"k_{g}"' for g in groups]
    partition = f"PARTITION BY {', '.join(quoted)} " if quoted else ""
    medians = sorted({a.column for a in aggs if a.fn == "median"})
    source = f"({sql}) base"
    if medians:
        windows = ", ".join(
            f'ROW_NUMBER() OVER ({partition}ORDER BY ("k_{m}" IS NULL), "k_{m}") AS "_rn_{m}", '
            f'COUNT("k_{m}") OVER ({partition.strip()}) AS "_cnt_{m}"' for m in medians)
        source = f"(SELECT base.*, {windows} FROM ({sql}) base) ranked"
    select = ", ".join([*(f'"k_{g}" AS "{g}"' for g in groups), *(f'{_agg_sql(a)} AS "{a.key}"' for a in aggs)])
    outer = f"SELECT {select} FROM {source}"
    if quoted:
        outer += f" GROUP BY {', '.join(quoted)}"
    with connections[alias].cursor() as cursor:
        cursor.execute(outer, params)
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if not quoted and rows and not rows[0][aggs[0].key]:
        return []  # no group keys: one row even over nothing; the first aggregate (a count) says if empty
    return rows


def as_int(value: Any) -> int:
    return int(value or 0)


def as_money(value: Any) -> Decimal:
    """A sum of amounts: exact numeric on PostgreSQL, a double on SQLite (rounded to cents as Django does)."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal(repr(round(float(value), 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def days(seconds: Any) -> float | None:
    """Seconds to days, 4 decimals (the unit of every duration column)."""
    return None if seconds is None else round(float(seconds) / 86400.0, 4)


def ratio(part: int, whole: int, *, pct: bool = False) -> float | None:
    """``part / whole`` as a fraction (4 decimals) or a percentage (2 decimals); None when ``whole`` is 0."""
    if not whole:
        return None
    return round(part * 100.0 / whole, 2) if pct else round(part / whole, 4)
