"""The per-(deal, stage) summary of the stage log (``DealStageStay``), kept in step with it.

``record`` is called for every log row the services write, in the same transaction; ``rebuild`` recomputes
the rows of some deals (or of all) from the log in one statement, for the data migration and the bulk
writers (the demo generator, the import) that write the log with ``COPY`` or multi-row inserts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection

from voronka.deals.models import DealStageStay, StageTransition

STAY = DealStageStay._meta.db_table
LOG = StageTransition._meta.db_table


def record(*, deal_id: int, from_stage_id: int | None, to_stage_id: int | None, at: dt.datetime,
           seconds: int) -> None:
    """Add one log row to the summary: the stay on ``from_stage`` ended after ``seconds``, the deal arrived at
    ``to_stage`` (one upsert statement). The caller holds the deal row's lock (the services do)."""
    moment = connection.ops.adapt_datetimefield_value(at)
    rows: list[tuple[Any, ...]] = []
    if from_stage_id is not None:
        rows.append((deal_id, from_stage_id, max(int(seconds), 0), 0, None, moment))
    if to_stage_id is not None and to_stage_id != from_stage_id:
        rows.append((deal_id, to_stage_id, 0, 1, moment, None))
    elif to_stage_id is not None:  # not written by the services; kept exact all the same
        rows[0] = (deal_id, to_stage_id, max(int(seconds), 0), 1, moment, moment)
    if not rows:
        return
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {STAY} (deal_id, stage_id, seconds, entries, first_entered_at, last_left_at) "
            f"VALUES {values} ON CONFLICT (deal_id, stage_id) DO UPDATE SET "
            f"seconds = {STAY}.seconds + excluded.seconds, entries = {STAY}.entries + excluded.entries, "
            f"first_entered_at = COALESCE({STAY}.first_entered_at, excluded.first_entered_at), "
            f"last_left_at = COALESCE(excluded.last_left_at, {STAY}.last_left_at)",
            [v for row in rows for v in row])


def _summary_sql(vendor: str, where: str) -> str:
    never = "CAST(NULL AS TIMESTAMP WITH TIME ZONE)" if vendor == "postgresql" else "NULL"
    return (f"SELECT deal_id, stage_id, SUM(secs), SUM(n), MIN(entered), MAX(left_at) FROM ("
            f"SELECT deal_id, to_stage_id AS stage_id, 0 AS secs, 1 AS n, at AS entered, {never} AS left_at "
            f"FROM {LOG} WHERE to_stage_id IS NOT NULL{where} "
            f"UNION ALL SELECT deal_id, from_stage_id, seconds_in_from_stage, 0, {never}, at "
            f"FROM {LOG} WHERE from_stage_id IS NOT NULL{where}) x GROUP BY deal_id, stage_id")


def rebuild(deal_ids: Iterable[int] | None = None, *, id_range: tuple[int, int] | None = None,
            using: Any = None) -> None:
    """Recompute the summary rows of the given deals (a list, an inclusive id range, or all deals) from the
    log; ``using`` is a connection (default: the default one)."""
    conn = using or connection
    if id_range is not None:
        _rebuild_where(conn, " AND deal_id BETWEEN %s AND %s", [int(id_range[0]), int(id_range[1])])
    elif deal_ids is not None:
        ids = sorted({int(i) for i in deal_ids})
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            _rebuild_where(conn, " AND deal_id IN (" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
    else:
        _rebuild_where(conn, "", [])


def _rebuild_where(conn: Any, where: str, params: list[Any]) -> None:
    delete_where = where.replace(" AND ", " WHERE ", 1)
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STAY}{delete_where}", params)
        cursor.execute(f"INSERT INTO {STAY} (deal_id, stage_id, seconds, entries, first_entered_at, last_left_at) "
                       f"{_summary_sql(conn.vendor, where)}", params * 2)


def summarise(log: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The summary rows of log rows given as dicts (``deal_id``, ``from_stage_id``, ``to_stage_id``, ``at``,
    ``seconds_in_from_stage``) of deals that have no summary yet, for the bulk writers; the rows of a deal
    in its log order."""
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for t in log:
        frm, to = t.get("from_stage_id"), t.get("to_stage_id")
        if frm is not None:
            row = out.setdefault((t["deal_id"], frm), _blank(t["deal_id"], frm))
            row["seconds"] += max(int(t.get("seconds_in_from_stage") or 0), 0)
            row["last_left_at"] = t["at"] if row["last_left_at"] is None else max(row["last_left_at"], t["at"])
        if to is not None:
            row = out.setdefault((t["deal_id"], to), _blank(t["deal_id"], to))
            row["entries"] += 1
            row["first_entered_at"] = (t["at"] if row["first_entered_at"] is None
                                       else min(row["first_entered_at"], t["at"]))
    return list(out.values())


def _blank(deal_id: int, stage_id: int) -> dict[str, Any]:
    return {"deal_id": deal_id, "stage_id": stage_id, "seconds": 0, "entries": 0, "first_entered_at": None,
            "last_left_at": None}
