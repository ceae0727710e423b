"""The one round-robin turn store under real concurrency (PostgreSQL): callers released together each take a
different turn, also on the pool's very first use (the row does not exist yet)."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection, transaction

from tests.concurrency import race
from tests.factories import make_user
from voronka.accounts.models import AssignmentTurn, Team
from voronka.accounts.selectors import pool_members
from voronka.accounts.services import next_member

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL): SQLite has no row locks to race on"),
]


def _take(team_id: int, mode: str):
    with transaction.atomic():
        user = next_member(key=f"team:{team_id}", members=pool_members(team_id=team_id), mode=mode)
        return user.pk


@pytest.mark.parametrize("mode", ["round_robin", "least_loaded"])
def test_concurrent_callers_each_take_the_next_turn(mode):
    team = Team.objects.create(name=f"Race {mode}")
    members = [make_user(f"{mode}_{i}", team=team).pk for i in range(4)]
    for _round in range(3):
        results = race(*[partial(_take, team.pk, mode) for _ in range(4)])
        assert all(isinstance(r, int) for r in results), results
        # four turns over four members: each once (least loaded: nobody gains a deal here, so every choice
        # is a tie and goes by the turn)
        assert sorted(results) == members, results
    assert AssignmentTurn.objects.filter(key=f"team:{team.pk}").count() == 1
