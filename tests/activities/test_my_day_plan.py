"""My day at scale: the counters and the three lists read the (status, due_date, due_time, id) index, and the
lists pick their rows by a narrow id subquery (no six-table rows sorted); numbers checked against Python."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_deal, task_spec
from voronka.activities.models import Task, TaskStatus
from voronka.activities.selectors import my_day

pytestmark = pytest.mark.django_db


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is tiny: ask what it would use
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(part) for row in cursor.fetchall() for part in row)


def test_my_day_reads_the_due_time_index_and_counts_match_python(world):
    today = timezone.localdate()
    for days in (0, 0, 1, 3, 6, 9):
        make_deal(world.owner, world.pipeline, first_task=task_spec(days))
    make_deal(world.teammate, world.pipeline, first_task=task_spec(0)).tasks.update(due_date=today - dt.timedelta(2))
    with CaptureQueriesContext(connection) as ctx:
        day = my_day(actor=world.head)
    open_tasks = list(Task.objects.filter(status=TaskStatus.OPEN).values_list("due_date", flat=True))
    assert day.counts == {"overdue": sum(d < today for d in open_tasks), "today": sum(d == today for d in open_tasks),
                          "upcoming": sum(today < d <= today + dt.timedelta(7) for d in open_tasks)}
    assert [t.due_date for t in day.today] == [today, today]
    task_queries = [q["sql"] for q in ctx.captured_queries if 'FROM "activities_task"' in q["sql"]]
    assert len(task_queries) == 4  # the counters and one query per list
    lists = [sql for sql in task_queries if "LIMIT" in sql]
    assert len(lists) == 3 and all('"activities_task"."id" IN (SELECT' in sql for sql in lists)
    # the plan of each query as it ran (the captured SQL has its parameters inlined)
    for sql in task_queries:
        assert "task_status_due_time_idx" in _plan(sql, ()), sql
