"""A state machine drives the deal services at random; the invariants of DESIGN.md §3 hold after every step.

Every call must either succeed or raise a ``DomainError`` (never an ``IntegrityError`` or any other
exception) and a refused call must write nothing. The model counts the successful stage changes and
writes per deal; the database must agree with it after every step.

The machine runs inside one ``django_db`` test; each Hypothesis example opens a savepoint in ``__init__``
and rolls it back in ``teardown``, so examples do not see each other's rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.dbstate import snapshot
from tests.factories import SalesWorld, make_client
from voronka.accounts.services import get_system_actor
from voronka.activities.models import Task
from voronka.activities.services import cancel_task, complete_task, create_task
from voronka.catalog.models import CustomFieldDefinition
from voronka.core.errors import DomainError
from voronka.deals.models import Deal, StageTransition
from voronka.deals.rules import missing_required_fields
from voronka.deals.services import (
    create_deal,
    lose_deal,
    move_deal,
    reopen_deal,
    set_deal_lines,
    update_deal,
    win_deal,
)
from voronka.pipelines.models import Stage
from voronka.pipelines.services import add_stage, reorder_stages

# Valid values are drawn more often than bad ones, so that deals live long enough to reach every state.
AMOUNTS = st.sampled_from([None] * 4 + ["1500"] * 4 + ["99999.99", "1", "0", "", "-1000", "abc"])
CLOSE_DATES = st.sampled_from([None] * 4 + ["2030-01-31"] * 4 + ["", "31.01.2030"])
BUDGETS = st.sampled_from([None] * 4 + ["250000"] * 4 + ["", "abc", "-1"])
# "self" is the deal's owner (the world's owner for a new deal): the usual actor; the others probe scope.
ACTORS = st.sampled_from(["self"] * 6 + ["lead", "head", "owner", "teammate", "outsider", "analyst"])
COMMENTS = st.sampled_from(["Поговорили с ЛПР"] * 5 + ["", "   "])
OUTCOMES = st.sampled_from(["result"] * 3 + ["postpone"] * 2 + ["refusal", "bogus"])
YES_MOSTLY = st.sampled_from([True, True, True, False])
RARELY = st.sampled_from([False, False, False, True])
PICK = st.integers(0, 1000)

MACHINE_SETTINGS = settings(
    max_examples=25, stateful_step_count=20, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@dataclass
class Expected:
    transitions: int = 1
    version: int = 1
    status: str = "open"


def _values(amount=None, close_date=None, budget=None) -> dict[str, Any]:
    values = {}
    if amount is not None:
        values["amount"] = amount
    if close_date is not None:
        values["expected_close_date"] = close_date
    if budget is not None:
        values["cf:budget"] = budget
    return values


def _task(days: int = 1, title: str = "Позвонить") -> dict[str, Any]:
    return {"title": title, "kind": "call", "due_date": timezone.localdate() + dt.timedelta(days=days)}


class DealMachine(RuleBasedStateMachine):
    world: ClassVar[SalesWorld]

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        w = self.world
        self.pipelines = [w.pipeline, w.other_pipeline]
        self.stages = {p.pk: list(p.stages.order_by("position", "pk")) for p in self.pipelines}
        self.client = make_client(w.owner)
        self.expected: dict[int, Expected] = {}
        self.copies: dict[int, Deal] = {}

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    # --- helpers -----------------------------------------------------------------------------------------

    def call(self, service, **kwargs):
        """Run a service: it succeeds, or raises a DomainError having written nothing."""
        before = snapshot()
        try:
            result = service(**kwargs)
        except DomainError as exc:
            event(f"{service.__name__}: {type(exc).__name__}")
            assert snapshot() == before, f"{service.__name__} failed but wrote"
            return None
        event(f"{service.__name__}: ok")
        return result

    def deal(self, pick: int, prefer: tuple[str, ...] = (), anywhere: bool = True) -> Deal:
        """A deal of the example; unless ``anywhere``, one whose status is in ``prefer`` when there is one."""
        ids = sorted(self.expected)
        if not anywhere:
            ids = [pk for pk in ids if self.expected[pk].status in prefer] or ids
        return Deal.objects.select_related("owner").get(pk=ids[pick % len(ids)])

    def task(self, deal: Deal, pick: int, anywhere: bool) -> Task | None:
        """A task of the deal: an open one unless ``anywhere`` (or when none is open)."""
        tasks = list(Task.objects.filter(deal=deal).order_by("pk"))
        open_ = [t for t in tasks if t.status == "open"]
        pool = open_ if open_ and not anywhere else tasks
        return pool[pick % len(pool)] if pool else None

    def actor(self, name: str, deal: Deal | None = None):
        if name == "self":
            return deal.owner if deal is not None else self.world.owner
        return getattr(self.world, name)

    def stage(self, pipeline_id: int, pick: int, own: bool) -> Stage:
        """A stage of the pipeline (own) or of another pipeline (not own)."""
        if own:
            pool = self.stages[pipeline_id]
        else:
            pool = [s for pk, stages in self.stages.items() if pk != pipeline_id for s in stages]
        return pool[pick % len(pool)]

    def changed_stage(self, deal: Deal, status: str) -> None:
        expected = self.expected[deal.pk]
        expected.transitions += 1
        expected.version += 1
        expected.status = status

    # --- rules ---------------------------------------------------------------------------------------------

    @initialize(pipeline=st.integers(0, 1), stage=PICK)
    def start_with_a_deal(self, pipeline, stage):
        """Every example starts with one valid deal, on any stage, with every required field filled."""
        pipeline = self.pipelines[pipeline]
        deal = create_deal(actor=self.world.owner, title="Первая сделка", pipeline=pipeline,
                           client=self.client, first_task=_task(), stage=self.stage(pipeline.pk, stage, True),
                           values=_values("1000", "2030-01-31", "5000"))
        self.expected[deal.pk] = Expected()

    @rule(actor=ACTORS, pipeline=st.integers(0, 1), stage=st.one_of(st.none(), PICK), own=YES_MOSTLY,
          amount=AMOUNTS, close_date=CLOSE_DATES, budget=BUDGETS, with_task=YES_MOSTLY)
    def create(self, actor, pipeline, stage, own, amount, close_date, budget, with_task):
        pipeline = self.pipelines[pipeline]
        deal = self.call(create_deal, actor=self.actor(actor), title="Сделка", pipeline=pipeline,
                         client=self.client, first_task=_task() if with_task else None,
                         stage=None if stage is None else self.stage(pipeline.pk, stage, own),
                         values=_values(amount, close_date, budget))
        if deal is not None:
            self.expected[deal.pk] = Expected()

    @rule(actor=ACTORS, pick=PICK, anywhere=RARELY, stage=PICK, own=YES_MOSTLY, amount=AMOUNTS,
          close_date=CLOSE_DATES, budget=BUDGETS, stale=RARELY)
    def move(self, actor, pick, anywhere, stage, own, amount, close_date, budget, stale):
        deal = self.deal(pick, ("open",), anywhere)
        extra = {"expected_version": deal.version - 1} if stale else {}
        target = self.stage(deal.pipeline_id, stage, own)
        if self.call(move_deal, actor=self.actor(actor, deal), deal=deal, stage=target,
                     values=_values(amount, close_date, budget), **extra):
            assert not stale
            self.changed_stage(deal, "open")

    @rule(pick=PICK)
    def remember_copy(self, pick):
        deal = self.deal(pick)
        self.copies[deal.pk] = deal

    @precondition(lambda self: self.copies)
    @rule(actor=ACTORS, pick=PICK, stage=PICK)
    def move_old_copy(self, actor, pick, stage):
        copy = self.copies[sorted(self.copies)[pick % len(self.copies)]]
        target = self.stage(copy.pipeline_id, stage, True)
        if self.call(move_deal, actor=self.actor(actor, copy), deal=copy, stage=target):
            self.changed_stage(copy, "open")

    @rule(actor=ACTORS, pick=PICK, anywhere=RARELY, task=PICK, outcome=OUTCOMES, comment=COMMENTS,
          with_next=YES_MOSTLY, postpone_days=st.sampled_from([3, 3, 3, 0, None, -1]), with_reason=YES_MOSTLY)
    def complete(self, actor, pick, anywhere, task, outcome, comment, with_next, postpone_days, with_reason):
        deal = self.deal(pick, ("open",), anywhere)
        chosen = self.task(deal, task, anywhere)
        postpone_to = None
        if postpone_days is not None:
            postpone_to = timezone.localdate() + dt.timedelta(days=postpone_days)
        done = self.call(complete_task, actor=self.actor(actor, deal), task=chosen, outcome=outcome,
                         comment=comment, next_task=_task(2, "Следующий шаг") if with_next else None,
                         postpone_to=postpone_to, lost_reason=self.world.reason if with_reason else None)
        if done is not None and outcome == "refusal" and deal.is_open:
            self.changed_stage(deal, "lost")

    @rule(actor=ACTORS, pick=PICK, days=st.integers(-2, 5), title=st.sampled_from(["", "Написать письмо"]))
    def add_task(self, actor, pick, days, title):
        deal = self.deal(pick)
        self.call(create_task, actor=self.actor(actor, deal), deal=deal, **_task(days, title))

    @rule(actor=ACTORS, pick=PICK, anywhere=RARELY, task=PICK)
    def cancel(self, actor, pick, anywhere, task):
        deal = self.deal(pick, ("open",), anywhere)
        self.call(cancel_task, actor=self.actor(actor, deal), task=self.task(deal, task, anywhere))

    @rule(actor=ACTORS, pick=PICK, anywhere=RARELY, amount=AMOUNTS)
    def win(self, actor, pick, anywhere, amount):
        deal = self.deal(pick, ("open",), anywhere)
        if self.call(win_deal, actor=self.actor(actor, deal), deal=deal, amount=amount):
            self.changed_stage(deal, "won")

    @rule(actor=ACTORS, pick=PICK, anywhere=RARELY,
          reason=st.sampled_from(["object", "id", "object", "none", "unknown"]))
    def lose(self, actor, pick, anywhere, reason):
        deal = self.deal(pick, ("open",), anywhere)
        value = {"object": self.world.reason, "id": self.world.reason.pk, "none": None,
                 "unknown": 987654}[reason]
        if self.call(lose_deal, actor=self.actor(actor, deal), deal=deal, reason=value,
                     comment="Не сложилось"):
            self.changed_stage(deal, "lost")

    @rule(actor=ACTORS, pick=PICK, anywhere=RARELY, stage=st.one_of(st.none(), PICK), own=YES_MOSTLY,
          with_task=st.sampled_from(["task", "task", "none", "untitled"]))
    def reopen(self, actor, pick, anywhere, with_task, stage, own):
        deal = self.deal(pick, ("won", "lost"), anywhere)
        task = {"task": _task(), "none": None, "untitled": _task(title="")}[with_task]
        if self.call(reopen_deal, actor=self.actor(actor, deal), deal=deal, task=task,
                     stage=None if stage is None else self.stage(deal.pipeline_id, stage, own)):
            self.changed_stage(deal, "open")

    @rule(actor=ACTORS, pick=PICK, amount=AMOUNTS, close_date=CLOSE_DATES, budget=BUDGETS,
          stale=RARELY)
    def update(self, actor, pick, amount, close_date, budget, stale):
        deal = self.deal(pick)
        extra = {"expected_version": deal.version + 1} if stale else {}
        if self.call(update_deal, actor=self.actor(actor, deal), deal=deal,
                     values=_values(amount, close_date, budget), **extra):
            assert not stale
            self.expected[deal.pk].version += 1

    @rule(actor=ACTORS, pick=PICK, quantities=st.lists(st.sampled_from(["1", "2", "0", "-1"]), max_size=2))
    def set_lines(self, actor, pick, quantities):
        deal = self.deal(pick)
        lines = [{"product": self.world.product, "quantity": q} for q in quantities]
        if self.call(set_deal_lines, actor=self.actor(actor, deal), deal=deal, lines=lines):
            self.expected[deal.pk].version += 1

    @rule(pipeline=st.integers(0, 1), shift=st.integers(1, 4), backwards=st.booleans())
    def reorder(self, pipeline, shift, backwards):
        """The admin reorders the stages: every deal's furthest stage must follow (checked below)."""
        pipeline = self.pipelines[pipeline]
        ids = list(pipeline.stages.order_by("position", "id").values_list("pk", flat=True))
        ids = ids[shift % len(ids):] + ids[:shift % len(ids)]
        reorder_stages(actor=self.world.admin, pipeline=pipeline, stage_ids=ids[::-1] if backwards else ids)

    # --- invariants ---------------------------------------------------------------------------------------

    @invariant()
    def deals_keep_the_invariants(self):
        deals = list(Deal.objects.select_related("stage", "client").order_by("pk"))
        assert [d.pk for d in deals] == sorted(self.expected), "a deal appeared or vanished"
        for deal in deals:
            expected = self.expected[deal.pk]
            history = list(StageTransition.objects.filter(deal=deal).order_by("at", "id"))
            open_tasks = Task.objects.filter(deal=deal, status="open").count()
            assert deal.stage.pipeline_id == deal.pipeline_id
            assert (deal.status, deal.version, len(history)) == (
                expected.status, expected.version, expected.transitions), deal.pk
            assert history[0].kind == "created"
            assert {t.pipeline_id for t in history} == {deal.pipeline_id}
            furthest = (Stage.objects.filter(pipeline_id=deal.pipeline_id, transitions_in__deal=deal)
                        .order_by("-position", "-id").first())
            assert deal.furthest_stage_id == furthest.pk, f"deal {deal.pk}: furthest stage out of step with the log"
            lines = list(deal.lines.all())
            if lines:
                assert deal.amount == sum(line.total for line in lines), f"deal {deal.pk}: amount is not the lines'"
            if deal.status == "open":
                assert open_tasks >= 1, f"open deal {deal.pk} has no open task"
                assert missing_required_fields(deal, deal.stage) == []
                assert deal.closed_at is None
                assert history[-1].to_stage_id == deal.stage_id
            else:
                assert deal.closed_at is not None
                assert (history[-1].kind, history[-1].from_stage_id) == (deal.status, deal.stage_id)
            if deal.status == "lost":
                assert deal.lost_reason_id is not None
            if deal.status == "won":
                assert deal.amount > Decimal(0)


def prepare(world: SalesWorld) -> None:
    """A money custom field required by a stage, and a conveyor stage that creates a task on entry."""
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")
    add_stage(actor=get_system_actor(), pipeline=world.other_pipeline, name="Бюджет согласован", slug="budget",
              required_fields=["cf:budget", "amount"])
    add_stage(actor=get_system_actor(), pipeline=world.pipeline, name="Демо проведено", slug="demo", position=3,
              owner_user=world.teammate, on_enter=["create_task_meeting"])
    DealMachine.world = world


@pytest.mark.django_db
def test_random_service_calls_keep_every_deal_invariant(world):
    prepare(world)
    run_state_machine_as_test(DealMachine, settings=MACHINE_SETTINGS)
