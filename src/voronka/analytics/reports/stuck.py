"""Stuck work right now: open deals past their stage's max days or without an open task, overdue tasks."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, DateTimeField, Exists, F, IntegerField, OuterRef, Value, When
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.activities.models import Task, TaskStatus
from voronka.deals.models import DealStatus

from .. import slices as sl
from ..engine import Column, Report, Run, deal_drill, deal_url, register, sort_key, task_url
from ..sql import Agg, Seconds, as_int

DEAL_PEOPLE = sl.Base(people={"manager": "owner", "team": "owner__team"})
TASK_PEOPLE = sl.Base(prefix="deal__", people={"manager": "assignee", "team": "assignee__team"})


@register
class Stuck(Report):
    name = "stuck"
    title = _("Stuck deals")
    description = _("Now: open deals past their stage's maximum days, open deals without an open task, "
                    "overdue open tasks (by assignee), per manager.")
    period = False
    date_field = None
    slices = sl.PEOPLE_SLICES
    default_by = ("manager",)
    chart_value = "past_max_days"
    columns = (Column("open_deals", _("open deals")), Column("past_max_days", _("past max days")),
               Column("no_open_task", _("without an open task")), Column("overdue_tasks", _("overdue tasks")))

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        """Open deals of the owner (or his current team) on the deal list; overdue tasks on the task list."""
        base = deal_drill(params, row, date=None, people={"team": "team"})
        links = {"open_deals": deal_url(base, status=DealStatus.OPEN),
                 "past_max_days": deal_url(base, status=DealStatus.OPEN, rotting=1),
                 "no_open_task": deal_url(base, status=DealStatus.OPEN, no_task=1)}
        if row.get("manager_id") and params.pipeline is None and not params.filters:
            links["overdue_tasks"] = task_url(assignee=row["manager_id"], status="open", due="overdue")
        return links

    def rows(self, run: Run) -> list[dict[str, Any]]:
        now = Value(run.now, output_field=DateTimeField())
        # A stage's max days of 0 (or none) is no limit, as on the board's cards.
        over = GreaterThan(Seconds("stage_entered_at", now), F("stage__max_days") * 86400)
        past = Case(When(GreaterThan(F("stage__max_days"), 0) & over, then=1), default=0, output_field=IntegerField())
        no_task = Case(When(~Exists(Task.objects.filter(deal=OuterRef("pk"), status=TaskStatus.OPEN)), then=1),
                       default=0, output_field=IntegerField())
        deals = run.deals().filter(status=DealStatus.OPEN)
        deal_rows = run.grouped(deals, inputs={"past": past, "no_task": no_task}, base=DEAL_PEOPLE,
                                aggs=[Agg("open_deals", "count"), Agg("past_max_days", "sum", "past"),
                                      Agg("no_open_task", "sum", "no_task")])
        tasks = Task.objects.using(run.alias).filter(run.scope("activities.Task"), status=TaskStatus.OPEN,
                                                     due_date__lt=timezone.localdate(run.now))
        if run.params.pipeline is not None:
            tasks = tasks.filter(deal__pipeline_id=run.params.pipeline.pk)
        tasks = run.filtered(tasks, base=TASK_PEOPLE)
        task_rows = run.grouped(tasks, inputs={}, base=TASK_PEOPLE, aggs=[Agg("overdue_tasks", "count")])
        keys = [k for key in run.params.by for k in sl.SLICES[key].output_keys()]
        merged: dict[tuple, dict[str, Any]] = {}
        zero = {"open_deals": 0, "past_max_days": 0, "no_open_task": 0, "overdue_tasks": 0}
        for r in [*deal_rows, *task_rows]:
            row = merged.setdefault(tuple(r[k] for k in keys), {**{k: r[k] for k in keys}, **zero})
            for measure in zero:
                if measure in r:
                    row[measure] += as_int(r[measure])
        return sorted(merged.values(), key=lambda r: sort_key(r, run.params.by))
