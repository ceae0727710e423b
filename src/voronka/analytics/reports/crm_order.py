"""Order in the CRM (DESIGN.md §5): a score 0–100 per manager from four shares, each shown with its counts.

Now (the current state, no period), per manager (or his current team):

1. **open deals with an open task**: the open deals he owns that have at least one open task;
2. **open tasks not overdue**: his open tasks (assignee) due today or later;
3. **qualified clients**: his clients (responsible, status lead or client) that were asked qualification
   questions (the active questions linked to a stage one of their deals reached: at or before its furthest
   stage) and answered every one of them; computed in one grouped scan of those clients' deals, summed per
   client first (a deal counts the questions its furthest stage implies that the client has not answered);
4. **open deals with the required fields filled**: what their current stage requires (its required fields
   and, when it requires them, its qualification questions) is filled, as ``deals.rules`` defines filled.

Score = 100 × the mean of the parts that have a base (a part with 0 deals, tasks or clients is left out),
2 decimals; the rows are ranked by it (ties share a rank). ``--pipeline`` narrows the deals and the deals'
tasks; the clients part never depends on a pipeline. Queries: three grouped aggregates, plus the stages,
the custom field definitions, the questions the stages require and the questions they ask (a fixed number
whatever the data size).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import ObjectType, Scope, User
from voronka.activities.models import Task, TaskStatus
from voronka.catalog.fields import (
    ContactSpec,
    CustomSpec,
    ForeignKeySpec,
    LinesSpec,
    MoneySpec,
    ReadOnlySpec,
    deal_fields,
)
from voronka.catalog.models import FieldEntity
from voronka.clients.models import ClientStatus, QualificationAnswer
from voronka.clients.selectors import question_id_from_key, question_key
from voronka.core.errors import DomainError
from voronka.deals.models import Deal, DealLine, DealStatus
from voronka.pipelines.models import Stage, StageQuestion

from .. import slices as sl
from ..engine import Column, Report, Run, register
from ..sql import Agg, as_int, ratio
from .plan_fact import round_half_up

DEAL_PEOPLE = sl.Base(people={"manager": "owner", "team": "owner__team"})
TASK_PEOPLE = sl.Base(prefix="deal__", people={"manager": "assignee", "team": "assignee__team"})
# Clients are counted from their deals (any owner), by the client's responsible manager.
CLIENT_PEOPLE = sl.Base(people={"manager": "client__responsible", "team": "client__responsible__team"})
PARTS = (("open_deals", "with_open_task", "open_task_pct"), ("open_tasks", "on_time_tasks", "on_time_pct"),
         ("clients", "qualified_clients", "qualified_pct"), ("checked_deals", "complete_deals", "fields_pct"))


def people_q(actor: User, field: str) -> Q:
    """Rows whose person ``field`` (an assignee, a responsible manager) is in the actor's scope."""
    scope = actor.scope_for(ObjectType.REPORTS)
    if scope == Scope.ALL:
        return Q()
    q = Q(**{f"{field}_id": actor.pk})
    if scope == Scope.TEAM and actor.team_id:
        q |= Q(**{f"{field}__team_id": actor.team_id})
    return q


def _flag(condition) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


class CustomFilled(Func):
    """A custom value (``custom[key]``, JSON) is present and not empty: not null, not "" and not [] (the JSON is
    parsed once per row: ``json_extract`` on SQLite, ``->>`` on PostgreSQL)."""

    output_field = BooleanField()
    arity = 1

    def __init__(self, expression, *, key: str) -> None:
        super().__init__(expression)
        self.key = key

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            text, more = f"({column} ->> %s)", [self.key]
        else:
            text, more = f"CAST(json_extract({column}, %s) AS TEXT)", ['$."' + self.key.replace('"', '') + '"']
        return f"COALESCE({text}, '') NOT IN ('', '[]')", [*params, *more]


def filled_q(key: str, registry) -> Q | None:
    """A condition on a deal that ``key`` is filled (None: the key never counts as empty, e.g. retired)."""
    qid = question_id_from_key(key)
    if qid is not None:
        return Q(Exists(QualificationAnswer.objects.filter(client_id=OuterRef("client_id"), question_id=qid)))
    spec = registry.get(key)
    if spec is None or isinstance(spec, ReadOnlySpec):
        return None
    if isinstance(spec, MoneySpec):
        return Q(**{f"{spec.orm_path}__gt": 0})
    if isinstance(spec, LinesSpec):
        return Q(Exists(DealLine.objects.filter(deal_id=OuterRef("pk"))))
    if isinstance(spec, ForeignKeySpec | ContactSpec):
        return Q(**{f"{spec.orm_path}__isnull": False})
    if isinstance(spec, CustomSpec):
        path = "client__custom" if spec.definition.entity == FieldEntity.CLIENT else "custom"
        return Q(CustomFilled(F(path), key=spec.definition.key))
    if spec.orm_path:  # texts and dates
        return Q(**{f"{spec.orm_path}__isnull": False}) & ~Q(**{spec.orm_path: ""}) \
            if spec.kind == "text" else Q(**{f"{spec.orm_path}__isnull": False})
    return None


def asked_by_stage(run: Run) -> dict[int, frozenset[int]]:
    """Per stage S: the active questions (of active sets) a client was asked once a deal of his reached S, i.e.
    those linked to S or to a stage before it in S's pipeline; stages that ask nothing are left out."""
    links: dict[int, set[int]] = {}
    for stage_id, question_id in (StageQuestion.objects.using(run.alias)
                                  .filter(question__is_active=True, question__question_set__is_active=True)
                                  .values_list("stage_id", "question_id")):
        links.setdefault(stage_id, set()).add(question_id)
    stages = list(Stage.objects.using(run.alias).values_list("pk", "pipeline_id", "position"))
    out = {}
    for pk, pipeline_id, position in stages:
        questions = frozenset(q for other, p, pos in stages if p == pipeline_id and pos <= position
                              for q in links.get(other, ()))
        if questions:
            out[pk] = questions
    return out


def complete_expr(run: Run) -> Case:
    """1 when the deal's current stage's requirements are filled, else 0."""
    registry = deal_fields()
    required_questions: dict[int, list[int]] = {}
    for stage_id, question_id in (StageQuestion.objects.using(run.alias)
                                  .filter(stage__questions_required=True, question__is_active=True,
                                          question__question_set__is_active=True)
                                  .order_by("position", "id").values_list("stage_id", "question_id")):
        required_questions.setdefault(stage_id, []).append(question_id)
    whens = []
    for stage_id, fields in Stage.objects.using(run.alias).values_list("pk", "required_fields"):
        keys = [*(fields or []), *map(question_key, required_questions.get(stage_id, []))]
        conditions = [c for c in (filled_q(k, registry) for k in dict.fromkeys(keys)) if c is not None]
        if not conditions:
            continue
        every = conditions[0]
        for condition in conditions[1:]:
            every &= condition
        whens += [When(Q(stage_id=stage_id) & every, then=Value(1)), When(stage_id=stage_id, then=Value(0))]
    return Case(*whens, default=Value(1), output_field=IntegerField())


@register
class CrmOrder(Report):
    name = "crm-order"
    title = _("Order in the CRM")
    description = _("Now, per manager: open deals with an open task, open tasks not overdue, clients with every "
                    "qualification answer, open deals with their stage's required fields; the score (0–100) is "
                    "the mean of these shares, ranked.")
    period = False
    date_field = None
    slices = sl.PEOPLE_SLICES
    default_by = ("manager",)
    chart_value = "score"
    columns = (Column("rank", _("rank")), Column("score", _("score"), "float"),
               Column("open_deals", _("open deals")), Column("with_open_task", _("with an open task")),
               Column("open_task_pct", _("with an open task, %"), "pct"),
               Column("open_tasks", _("open tasks")), Column("on_time_tasks", _("not overdue")),
               Column("on_time_pct", _("not overdue, %"), "pct"),
               Column("clients", _("clients")), Column("qualified_clients", _("with every answer")),
               Column("qualified_pct", _("with every answer, %"), "pct"),
               Column("checked_deals", _("open deals checked")), Column("complete_deals", _("required fields filled")),
               Column("fields_pct", _("required fields filled, %"), "pct"))

    def output_columns(self, run: Run) -> list[Column]:
        return [self.columns[0], *run.slice_columns(), *self.columns[1:]]

    def drill(self, params, row: dict[str, Any]) -> dict[str, str]:
        """The open deals of the manager (or current team) on the deal list: its count is ``open_deals``."""
        from django.urls import reverse
        from django.utils.http import urlencode

        query: dict[str, Any] = {"status": DealStatus.OPEN}
        if row.get("manager_id"):
            query["owner"] = row["manager_id"]
        elif row.get("team_id"):
            query["team"] = row["team_id"]
        else:
            return {}
        if params.pipeline is not None:
            query["pipeline"] = params.pipeline.pk
        url = f"{reverse('deals:list')}?{urlencode(query)}"
        return {"open_deals": url, "checked_deals": url}

    def rows(self, run: Run) -> list[dict[str, Any]]:
        if len(run.params.by) != 1:
            raise DomainError(gettext("Order in the CRM is per manager or per team."), field="by")
        keys = [k for key in run.params.by for k in sl.SLICES[key].output_keys()]
        merged: dict[tuple, dict[str, Any]] = {}

        def add(rows: list[dict[str, Any]]) -> None:
            for r in rows:
                row = merged.setdefault(tuple(r[k] for k in keys), {**{k: r[k] for k in keys},
                                                                    **{n: 0 for part in PARTS for n in part[:2]}})
                for part in PARTS:
                    for name in part[:2]:
                        if name in r:
                            row[name] += as_int(r[name])

        # Deals: parts 1 and 4 in one grouped scan of the open deals.
        complete = complete_expr(run)
        has_task = Exists(Task.objects.filter(deal_id=OuterRef("pk"), status=TaskStatus.OPEN))
        deals = run.filtered(Deal.objects.using(run.alias).filter(run.scope("deals.Deal"),
                                                                  status=DealStatus.OPEN), base=DEAL_PEOPLE)
        if run.params.pipeline is not None:
            deals = deals.filter(pipeline_id=run.params.pipeline.pk)
        add(run.grouped(deals, base=DEAL_PEOPLE, inputs={"task": _flag(has_task), "complete": complete},
                        aggs=[Agg("open_deals", "count"), Agg("with_open_task", "sum", "task"),
                              Agg("checked_deals", "count"), Agg("complete_deals", "sum", "complete")]))
        # Tasks: part 2.
        today = timezone.localdate(run.now)
        tasks = Task.objects.using(run.alias).filter(people_q(run.actor, "assignee"), status=TaskStatus.OPEN)
        if run.params.pipeline is not None:
            tasks = tasks.filter(deal__pipeline_id=run.params.pipeline.pk)
        tasks = run.filtered(tasks, base=TASK_PEOPLE)
        add(run.grouped(tasks, base=TASK_PEOPLE, inputs={"on_time": _flag(Q(due_date__gte=today))},
                        aggs=[Agg("open_tasks", "count"), Agg("on_time_tasks", "sum", "on_time")]))
        # Clients: part 3, from the deals of the clients (one grouped scan; per client first, see asked_by_stage).
        asked = asked_by_stage(run)
        if asked:
            by_set: dict[frozenset[int], list[int]] = {}
            for stage_id, questions in asked.items():
                by_set.setdefault(questions, []).append(stage_id)
            missing = Case(*[
                When(furthest_stage_id__in=stage_ids, then=Value(len(questions)) - Coalesce(Subquery(
                    QualificationAnswer.objects.filter(client_id=OuterRef("client_id"), question_id__in=sorted(questions))
                    .order_by().values("client_id").annotate(n=Count("pk")).values("n"),
                    output_field=IntegerField()), Value(0)))
                for questions, stage_ids in by_set.items()], default=Value(0), output_field=IntegerField())
            deals_of_clients = Deal.objects.using(run.alias).filter(
                people_q(run.actor, "client__responsible"), client__responsible__isnull=False,
                client__status__in=(ClientStatus.LEAD, ClientStatus.CLIENT), furthest_stage_id__in=list(asked))
            deals_of_clients = run.filtered(deals_of_clients, base=CLIENT_PEOPLE)
            add(run.grouped(deals_of_clients, base=CLIENT_PEOPLE, inputs={"missing": missing},
                            per={"client": F("client_id")},
                            aggs=[Agg("clients", "count"),
                                  Agg("qualified_clients", "count_if", where='"k_missing" = 0')]))

        out = []
        for row in merged.values():
            shares = []
            for base_key, part_key, pct_key in PARTS:
                whole, part = row[base_key], row[part_key]
                row[pct_key] = ratio(part, whole, pct=True)
                if whole:
                    shares.append(Fraction(part, whole))
            row["score"] = float(round_half_up(sum(shares) * 100 / len(shares), 2)) if shares else None
            out.append(row)
        label = keys[-1]
        out.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), str(r[label]).casefold()))
        previous, rank = None, 0
        for index, row in enumerate(out, start=1):
            if row["score"] != previous:
                rank, previous = index, row["score"]
            row["rank"] = rank if row["score"] is not None else None
        return out
