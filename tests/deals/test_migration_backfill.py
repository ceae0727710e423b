"""deals 0004 backfills furthest stage, transition pipeline, owner team and currency from existing rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("deals", "0003_report_model")
AFTER = ("deals", "0004_backfill_report_model")


def _migrate(deals_target):
    """Every other app at its latest migration, deals at ``deals_target``; the models of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    graph = executor.loader.graph
    deals_state = set(graph.forwards_plan(deals_target))

    def needs_later_deals(leaf) -> bool:  # an app above deals (integrations, imports) waits at its start
        return any(n[0] == "deals" and n not in deals_state for n in graph.forwards_plan(leaf))

    targets = [n for n in graph.leaf_nodes() if n[0] != "deals" and not needs_later_deals(n)] + [deals_target]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_backfill_reads_the_log_in_current_stage_order():
    apps = _migrate(BEFORE)
    try:
        Team = apps.get_model("accounts", "Team")
        User = apps.get_model("accounts", "User")
        Pipeline = apps.get_model("pipelines", "Pipeline")
        Stage = apps.get_model("pipelines", "Stage")
        Client = apps.get_model("clients", "Client")
        Deal = apps.get_model("deals", "Deal")
        Transition = apps.get_model("deals", "StageTransition")
        team = Team.objects.create(name="Team A")
        owner = User.objects.create(username="m1", team=team)
        pipeline = Pipeline.objects.create(name="P", slug="p")
        # Positions as after a reorder: "late" sits first now.
        late = Stage.objects.create(pipeline=pipeline, name="Late", slug="late", position=1)
        first = Stage.objects.create(pipeline=pipeline, name="First", slug="first", position=2)
        middle = Stage.objects.create(pipeline=pipeline, name="Middle", slug="middle", position=3)
        client = Client.objects.create(name="ООО Тест", name_normalized="тест", responsible=owner)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        deal = Deal.objects.create(title="d", pipeline=pipeline, stage=first, client=client, owner=owner,
                                   currency="XYZ", furthest_position=9, stage_entered_at=now, created_at=now)
        for kind, frm, to in (("created", None, first), ("forward", first, middle), ("forward", middle, late),
                              ("backward", late, first)):
            Transition.objects.create(deal=deal, kind=kind, from_stage=frm, to_stage=to, at=now)
        quiet = Deal.objects.create(title="no log", pipeline=pipeline, stage=late, client=client, owner=owner,
                                    stage_entered_at=now, created_at=now)

        apps = _migrate(AFTER)
        Deal = apps.get_model("deals", "Deal")
        Transition = apps.get_model("deals", "StageTransition")
        stored = Deal.objects.get(pk=deal.pk)
        assert stored.furthest_stage_id == middle.pk  # furthest in today's order, not by the old number
        assert stored.owner_team_id == team.pk
        assert stored.currency == "RUB"
        assert Deal.objects.get(pk=quiet.pk).furthest_stage_id == late.pk
        assert set(Transition.objects.values_list("pipeline_id", flat=True)) == {pipeline.pk}

        apps = _migrate(BEFORE)  # the reverse puts the position back
        assert apps.get_model("deals", "Deal").objects.get(pk=deal.pk).furthest_position == middle.position
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
