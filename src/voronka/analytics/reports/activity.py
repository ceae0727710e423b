"""Work done per manager: completed tasks by type and timeline entries (calls, emails, meetings, notes)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from voronka.activities.models import Activity, ActivityKind, Task, TaskStatus
from voronka.clients.models import Client
from voronka.deals.models import Deal

from .. import slices as sl
from ..engine import Column, Report, Run, register, sort_key
from ..sql import Agg, as_int

TASKS = sl.Base(prefix="deal__", people={"manager": "assignee", "team": "assignee__team"})
ENTRIES = sl.Base(prefix="deal__", people={"manager": "author", "team": "author__team"})
LOGGED = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.NOTE)


@register
class ActivityReport(Report):
    name = "activity"
    title = _("Activity")
    description = _("Tasks completed (by type, by the person who was assigned) and calls, emails, meetings and "
                    "notes logged on the timeline (by author) in the period.")
    date_field = "completed_at"
    slices = (*sl.PEOPLE_SLICES, "week", "month", "quarter")
    default_by = ("manager",)
    chart_value = "done_tasks"
    columns = (Column("kind", _("type"), "str"), Column("done_tasks", _("tasks completed")),
               Column("logged", _("logged on the timeline")))

    def output_columns(self, run: Run) -> list[Column]:
        return [*run.slice_columns(), *self.columns]

    def rows(self, run: Run) -> list[dict[str, Any]]:
        tasks = Task.objects.using(run.alias).filter(run.scope("activities.Task"), run.period_q("completed_at"),
                                                     status=TaskStatus.DONE)
        if run.params.pipeline is not None:
            tasks = tasks.filter(deal__pipeline_id=run.params.pipeline.pk)
        done = run.grouped(tasks, inputs={}, extra={"kind": F("kind")}, base=TASKS, date_field="completed_at",
                           aggs=[Agg("done_tasks", "count")])
        deal_scope, client_scope = run.scope("deals.Deal"), run.scope("clients.Client")
        pipeline = run.params.pipeline
        if not deal_scope and not client_scope:
            # the full scope: every entry on a deal (of the pipeline) or on a client, without the subqueries
            visible = (Q(deal__pipeline_id=pipeline.pk) if pipeline is not None
                       else Q(deal__isnull=False) | Q(client__isnull=False))
        elif pipeline is not None:
            deals = Deal.objects.using(run.alias).filter(deal_scope, pipeline_id=pipeline.pk)
            visible = Q(deal__in=deals.values("pk"))
        else:
            deals = Deal.objects.using(run.alias).filter(deal_scope)
            clients = Client.objects.using(run.alias).filter(client_scope)
            visible = Q(deal__in=deals.values("pk")) | Q(deal__isnull=True, client__in=clients.values("pk"))
        entries = Activity.objects.using(run.alias).filter(visible, run.period_q("at"), kind__in=LOGGED,
                                                           author__isnull=False)
        logged = run.grouped(entries, inputs={}, extra={"kind": F("kind")}, base=ENTRIES, date_field="at",
                             aggs=[Agg("logged", "count")])
        keys = [*(k for key in run.params.by for k in sl.SLICES[key].output_keys()), "kind"]
        merged: dict[tuple, dict[str, Any]] = {}
        for r in [*done, *logged]:
            row = merged.setdefault(tuple(r[k] for k in keys), {**{k: r[k] for k in keys}, "done_tasks": 0,
                                                                 "logged": 0})
            for measure in ("done_tasks", "logged"):
                row[measure] += as_int(r.get(measure))
        return sorted(merged.values(), key=lambda r: sort_key(r, [*run.params.by, "kind"]))
