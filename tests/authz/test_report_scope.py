"""Every report and the board's totals: a manager's figures equal the same figures computed over his own
deals only (a head's report on a database that holds nothing but the manager's deals).

Two worlds are built the same way in savepoints: one with the other team's deals too (read as the manager),
one with the manager's deals alone (read as the head, who sees everything). Reports are enumerated from the
registry, so a new report is covered without editing this file.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import make_client, make_deal, task_spec
from voronka.accounts.models import User
from voronka.analytics.engine import get_report, list_reports, run_report
from voronka.deals.selectors import board
from voronka.deals.services import lose_deal, move_deal, win_deal

pytestmark = pytest.mark.django_db

REPORT_NAMES = sorted(report.name for report in list_reports())  # the registry, loaded

TODAY = timezone.localdate()
PERIOD = {"from": (TODAY - dt.timedelta(days=60)).isoformat(), "to": (TODAY + dt.timedelta(days=1)).isoformat()}


def _sales_of(world, user: User, n: int) -> None:
    """A few deals: open on several stages, won, lost; one client buys twice."""
    stages = list(world.pipeline.stages.order_by("position"))
    repeat = make_client(user, name=f"Постоянный {user.username}")
    for i in range(n):
        deal = make_deal(user, world.pipeline, client=repeat if i < 2 else None, values={"amount": str(1000 * (i + 1))},
                         first_task=task_spec(days=i - 1))
        if i % 4 == 1:
            move_deal(actor=user, deal=deal, stage=stages[1])
        elif i % 4 == 2:
            win_deal(actor=user, deal=deal, values={"amount": str(1000 * (i + 1)),
                                                    "expected_close_date": TODAY.isoformat()})
        elif i % 4 == 3:
            lose_deal(actor=user, deal=deal, reason=world.reason)
    win_deal(actor=user, deal=make_deal(user, world.pipeline, client=repeat, values={"amount": "500"}),
             values={"amount": "500", "expected_close_date": TODAY.isoformat()})


def _params(name: str) -> dict[str, Any]:
    report = get_report(name)
    return dict(PERIOD) if report.period else {}


def _numbers(rows: list[dict]) -> list[dict]:
    """Rows without the ones that are all zero (a head's report lists managers without deals too)."""
    def empty(row: dict) -> bool:
        values = [v for v in row.values() if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]
        return bool(values) and all(v in (0, None) for v in values)
    return [row for row in rows if not empty(row)]


def _figures(world, actor: User) -> dict[str, Any]:
    actor = User.objects.get(pk=actor.pk)
    out: dict[str, Any] = {}
    for name in REPORT_NAMES:
        out[name] = _numbers(run_report(actor=actor, name=name, params=_params(name)).rows)
    out["board"] = [(c.stage.pk, c.count, sorted(c.totals.items()) if isinstance(c.totals, dict) else c.totals)
                    for c in board(actor=actor, pipeline=world.pipeline)]
    return out


def _in_savepoint(build, read):
    savepoint = transaction.savepoint()
    try:
        build()
        return read()
    finally:
        transaction.savepoint_rollback(savepoint)


def test_a_managers_figures_are_those_of_his_own_deals(world):
    mixed = _in_savepoint(lambda: (_sales_of(world, world.owner, 6), _sales_of(world, world.outsider, 5),
                                   _sales_of(world, world.teammate, 3)),
                          lambda: _figures(world, world.owner))
    alone = _in_savepoint(lambda: _sales_of(world, world.owner, 6), lambda: _figures(world, world.head))
    assert set(mixed) == set(alone) and len(mixed) == len(REPORT_NAMES) + 1
    for name in mixed:
        assert mixed[name] == alone[name], name
    assert any(mixed[name] for name in mixed)  # the figures are not empty


def test_a_leads_figures_are_those_of_his_teams_deals(world):
    mixed = _in_savepoint(lambda: (_sales_of(world, world.owner, 5), _sales_of(world, world.teammate, 4),
                                   _sales_of(world, world.outsider, 5)),
                          lambda: _figures(world, world.lead))
    alone = _in_savepoint(lambda: (_sales_of(world, world.owner, 5), _sales_of(world, world.teammate, 4)),
                          lambda: _figures(world, world.head))
    for name in mixed:
        assert mixed[name] == alone[name], name
