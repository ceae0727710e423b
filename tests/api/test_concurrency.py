"""Races through HTTP (PostgreSQL): a retried POST sent twice at once creates one record; two moves of one deal
from the same version let exactly one through (the other is a 409 problem)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.concurrency import race
from tests.factories import make_deal
from voronka.clients.models import Client
from voronka.deals.models import StageTransition

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL): SQLite serialises every writer"),
]


@pytest.mark.parametrize("round_", range(3))
def test_the_same_idempotent_post_at_once_creates_one_client(world, api, round_):
    http = api(world.owner)
    body = {"name": f"ООО Гонка {round_}"}
    send = lambda: http.post("clients", body, headers={"Idempotency-Key": f"race-{round_}"})  # noqa: E731
    responses = race(send, send)
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([201, 201], [201, 409]), [r.content[:200] for r in responses]
    assert Client.objects.filter(name=body["name"]).count() == 1
    created = [r.json()["id"] for r in responses if r.status_code == 201]
    assert len(set(created)) == 1  # a replay answers the same client


def test_two_moves_from_the_same_version_let_one_through(world, api):
    deal = make_deal(world.owner, world.pipeline)
    qualified = world.pipeline.stages.get(slug="qualified")
    proposal = world.pipeline.stages.get(slug="proposal")
    first, second = api(world.owner), api(world.owner)
    responses = race(
        lambda: first.post(f"deals/{deal.pk}/move", {"stage": qualified.pk, "version": 1}),
        lambda: second.post(f"deals/{deal.pk}/move", {"stage": proposal.pk, "version": 1,
                                                      "values": {"amount": "10"}}),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.content[:200] for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "stale" and loser["Content-Type"].startswith("application/problem+json")
    assert StageTransition.objects.filter(deal=deal).count() == 2  # created + one move
