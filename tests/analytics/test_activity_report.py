"""The activity report against a plain count of the completed tasks and timeline entries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from random import Random

import pytest
from django.utils import timezone

from tests.analytics.history import BASE, NOW, at
from tests.analytics.test_closed_reports import canon
from tests.factories import make_client, make_deal, task_spec
from voronka.activities.models import Activity, Task
from voronka.activities.services import add_timeline_entry, complete_task, create_task
from voronka.analytics.engine import full_scope_actor, run_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(world):
    rng = Random(3)
    people = [world.owner, world.teammate, world.outsider]
    for i in range(24):
        actor = people[i % 3]
        moment = BASE + dt.timedelta(days=rng.randint(0, 90), seconds=rng.randint(0, 86399))
        with at(moment):
            deal = make_deal(actor, world.pipeline if i % 4 else world.other_pipeline)
            task = create_task(actor=actor, deal=deal, **task_spec(kind=rng.choice(["call", "email", "meeting"])))
            complete_task(actor=actor, task=task, outcome="result", comment="Done")
            add_timeline_entry(actor=actor, kind=rng.choice(["call", "email", "meeting", "note"]), body="x",
                               deal=deal)
            if i % 5 == 0:
                add_timeline_entry(actor=actor, kind="note", body="about the client",
                                   client=make_client(actor))
    return world


def expected(actor, *, start=None, end=None, pipeline=None, by_month=False):
    def visible(user, deal_owner):
        if actor.scope == "all":
            return True
        people = {u for u in (user, deal_owner) if u is not None}
        return actor in people or (actor.scope == "team" and any(u.team_id == actor.team_id for u in people))

    def keep(moment):
        day = timezone.localtime(moment).date()
        return (start is None or day >= start) and (end is None or day <= end)

    def key(user, kind, moment):
        parts = [("manager_id", user.pk), ("manager", user.username)]
        if by_month:
            parts.append(("month", timezone.localtime(moment).date().replace(day=1)))
        return (*parts, ("kind", kind))

    done, logged = Counter(), Counter()
    for t in Task.objects.filter(status="done").select_related("assignee", "deal__owner", "deal"):
        if keep(t.completed_at) and visible(t.assignee, t.deal.owner if t.deal else None) \
                and (pipeline is None or (t.deal and t.deal.pipeline_id == pipeline)):
            done[key(t.assignee, t.kind, t.completed_at)] += 1
    for a in Activity.objects.filter(kind__in=["call", "email", "meeting", "note"], author__isnull=False) \
            .select_related("author", "deal__owner", "client__responsible"):
        owner = a.deal.owner if a.deal else None
        if a.deal is None and pipeline is None:
            ok = actor.scope == "all" or visible(a.client.responsible, None)
        else:
            ok = a.deal is not None and visible(owner, None) and (pipeline is None or a.deal.pipeline_id == pipeline)
        if ok and keep(a.at):
            logged[key(a.author, a.kind, a.at)] += 1
    return [{**dict(k), "done_tasks": done[k], "logged": logged[k]} for k in set(done) | set(logged)]


def ours(actor, **params):
    return run_report(actor=actor, name="activity", params=params, now=NOW).rows


def test_activity_equals_plain_counts(work):
    for actor in (full_scope_actor(), work.lead, work.owner):
        assert canon(ours(actor)) == canon(expected(actor))
    got = ours(full_scope_actor(), by="manager,month", **{"from": "2026-03-15", "to": "2026-04-30"})
    assert got and canon(got) == canon(expected(full_scope_actor(), start=dt.date(2026, 3, 15),
                                                 end=dt.date(2026, 4, 30), by_month=True))
    outreach = ours(full_scope_actor(), pipeline="outreach")
    assert canon(outreach) == canon(expected(full_scope_actor(), pipeline=work.other_pipeline.pk))
    assert ours(full_scope_actor(), **{"from": "2020-01-01", "to": "2020-01-31"}) == []
