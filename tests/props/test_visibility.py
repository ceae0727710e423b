"""For random users, teams, role scopes, pipeline access, deals, tasks and clients, every selector returns
exactly the rows the rules of docs/architecture.md ("Who sees what") allow, computed here in plain Python.

Each Hypothesis example runs in a savepoint that is rolled back, so examples do not see each other's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_user, task_spec
from voronka.accounts.models import ROLE_SCOPES, ObjectType, Role, User
from voronka.accounts.services import set_role_scopes
from voronka.activities.models import Task
from voronka.activities.selectors import visible_tasks
from voronka.activities.services import create_task
from voronka.clients.models import Client
from voronka.clients.selectors import visible_clients
from voronka.clients.services import create_client
from voronka.deals.models import Deal
from voronka.deals.selectors import visible_deals
from voronka.deals.services import create_deal, lose_deal
from voronka.pipelines.services import set_pipeline_access

ROLES = [Role.MANAGER, Role.LEAD, Role.HEAD, Role.ANALYST]
SCOPES = ["own", "team", "all"]


@dataclass
class Spec:
    users: list[tuple[str, int | None, frozenset[int]]]  # role, team index, pipelines (empty: all)
    grid: dict[tuple[str, str], str]
    deals: list[tuple[int, int, int, bool]]  # owner, pipeline index, responsible of the client, closed
    tasks: list[tuple[int, int | None]]  # assignee, deal index (None: a task on the deal's client only)


@st.composite
def specs(draw) -> Spec:
    users = draw(st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from([0, 1, None]),
                                    st.frozensets(st.sampled_from([0, 1]), max_size=2)), min_size=2, max_size=6))
    grid = draw(st.dictionaries(st.tuples(st.sampled_from(ROLES), st.sampled_from(list(ObjectType.values))),
                                st.sampled_from(SCOPES), max_size=8))
    workers = [i for i, (role, _team, _p) in enumerate(users) if role != Role.ANALYST]
    if not workers:
        users[0] = (Role.MANAGER, users[0][1], users[0][2])
        workers = [0]
    deals = draw(st.lists(st.tuples(st.sampled_from(workers), st.sampled_from([0, 1]), st.sampled_from(workers),
                                    st.booleans()), max_size=6))
    tasks = draw(st.lists(st.tuples(st.sampled_from(workers),
                                    st.one_of(st.none(), st.integers(0, max(len(deals) - 1, 0)))),
                          max_size=4)) if deals else []
    return Spec(users=users, grid=grid, deals=deals, tasks=tasks)


def _scope(user: User, grid: dict, object_type: str) -> str:
    return grid.get((user.role, object_type)) or ROLE_SCOPES[user.role]


def _near(viewer: User, scope: str, people: list[User | None]) -> bool:
    """The visibility rule of one record whose people are ``people`` (owner, assignee, responsible...)."""
    if scope == "all":
        return True
    if any(p is not None and p.pk == viewer.pk for p in people):
        return True
    return scope == "team" and viewer.team_id is not None and any(
        p is not None and p.team_id == viewer.team_id for p in people)


def _build(world, spec: Spec) -> tuple[list[User], dict]:
    teams = [world.team, world.other_team]
    pipelines = [world.pipeline, world.other_pipeline]
    users = [make_user(f"u{i}", role=role, team=teams[team] if team is not None else None)
             for i, (role, team, _p) in enumerate(spec.users)]
    if spec.grid:
        set_role_scopes(actor=world.admin, scopes=spec.grid)
    for user, (_role, _team, allowed) in zip(users, spec.users, strict=True):
        set_pipeline_access(actor=world.admin, user=user, pipelines=[pipelines[i] for i in sorted(allowed)])
    system = world.system
    deals = []
    for n, (owner, pipeline, responsible, closed) in enumerate(spec.deals):
        client = create_client(actor=system, name=f"Клиент {n}", responsible=users[responsible], allow_duplicate=True)
        deal = create_deal(actor=system, title=f"Сделка {n}", pipeline=pipelines[pipeline], client=client,
                           owner=users[owner], first_task=task_spec())
        if closed:
            lose_deal(actor=system, deal=deal, reason=world.reason)
        deals.append(deal)
    for assignee, index in spec.tasks:
        deal = deals[index] if index is not None else None
        if deal is not None and deal.status == "open":
            create_task(actor=system, deal=deal, assignee=users[assignee], **task_spec(title="Ещё"))
        elif deal is not None:
            create_task(actor=system, client=deal.client, assignee=users[assignee], **task_spec(title="Клиенту"))
    return users, {"pipelines": pipelines}


def _expected(viewer: User, allowed: frozenset[int], grid: dict, pipelines) -> dict[str, set[int]]:
    pipeline_ids = {pipelines[i].pk for i in allowed} if allowed else None

    def pipeline_ok(pipeline_id: int | None) -> bool:
        return pipeline_ids is None or pipeline_id is None or pipeline_id in pipeline_ids

    deal_scope, task_scope, client_scope = (_scope(viewer, grid, t) for t in ("deals", "tasks", "clients"))
    deals = {d.pk for d in Deal.objects.select_related("owner") if pipeline_ok(d.pipeline_id) and _near(viewer, deal_scope, [d.owner])}
    tasks = {t.pk for t in Task.objects.select_related("assignee", "deal__owner")
             if pipeline_ok(t.deal.pipeline_id if t.deal else None)
             and _near(viewer, task_scope, [t.assignee, t.deal.owner if t.deal else None])}
    clients = set()
    for client in Client.objects.select_related("responsible").prefetch_related("deals__owner"):
        open_owners = [d.owner for d in client.deals.all() if d.status == "open"]
        if _near(viewer, client_scope, [client.responsible]) or (
                client_scope != "all" and any(_near(viewer, client_scope, [o]) for o in open_owners)):
            clients.add(client.pk)
    return {"deals": deals, "tasks": tasks, "clients": clients}


@pytest.mark.django_db
def test_selectors_return_exactly_what_the_rules_allow(world):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
    @given(spec=specs())
    def check(spec: Spec) -> None:
        savepoint = transaction.savepoint()
        try:
            users, context = _build(world, spec)
            for user, (_role, _team, allowed) in zip(users, spec.users, strict=True):
                viewer = User.objects.get(pk=user.pk)  # as a request loads him
                expected = _expected(viewer, allowed, spec.grid, context["pipelines"])
                assert set(visible_deals(actor=viewer).values_list("pk", flat=True)) == expected["deals"]
                assert set(visible_tasks(actor=viewer).values_list("pk", flat=True)) == expected["tasks"]
                assert set(visible_clients(actor=viewer).values_list("pk", flat=True)) == expected["clients"]
        finally:
            transaction.savepoint_rollback(savepoint)

    check()
