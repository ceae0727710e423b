"""``Idempotency-Key``: a retried POST creates nothing twice and answers the stored response."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.api.conftest import assert_problem
from tests.dbstate import unchanged
from tests.factories import make_client, make_deal
from voronka.accounts.models import IdempotencyKey
from voronka.activities.models import Task
from voronka.clients.models import Client
from voronka.deals.models import Deal

pytestmark = pytest.mark.django_db


def _deal_body(world, client):
    due = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    return {"title": "Повтор", "pipeline": world.pipeline.pk, "client": client.pk,
            "first_task": {"title": "Позвонить", "due_date": due}}


def test_retry_with_the_same_key_creates_one_deal(world, api):
    http = api(world.owner)
    client = make_client(world.owner)
    body = _deal_body(world, client)
    first = http.post("deals", body, headers={"Idempotency-Key": "order-42"})
    assert first.status_code == 201, first.content
    with unchanged():
        second = http.post("deals", body, headers={"Idempotency-Key": "order-42"})
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Deal.objects.filter(title="Повтор").count() == 1
    assert Task.objects.filter(deal__title="Повтор").count() == 1


def test_same_key_with_another_body_is_422(world, api):
    http = api(world.owner)
    assert http.post("clients", {"name": "ООО Один"}, headers={"Idempotency-Key": "k1"}).status_code == 201
    with unchanged():
        assert_problem(http.post("clients", {"name": "ООО Два"}, headers={"Idempotency-Key": "k1"}), 422,
                       "idempotency_key_reused", field="Idempotency-Key")
        # the same key on another endpoint is another request too
        assert_problem(http.post(f"clients/{Client.objects.get().pk}/contacts", {"name": "ООО Один"},
                                 headers={"Idempotency-Key": "k1"}), 422, "idempotency_key_reused")


def test_keys_are_per_user(world, api):
    body = {"name": "ООО Общий ключ", "allow_duplicate": True}
    assert api(world.owner).post("clients", body, headers={"Idempotency-Key": "same"}).status_code == 201
    assert api(world.teammate).post("clients", body, headers={"Idempotency-Key": "same"}).status_code == 201
    assert Client.objects.filter(name="ООО Общий ключ").count() == 2


def test_a_failed_request_frees_its_key(world, api):
    http = api(world.owner)
    deal = make_deal(world.owner, world.pipeline)
    proposal = world.pipeline.stages.get(slug="proposal")
    headers = {"Idempotency-Key": "move-1"}
    assert_problem(http.post(f"deals/{deal.pk}/move", {"stage": proposal.pk}, headers=headers), 422)
    assert not IdempotencyKey.objects.filter(key="move-1").exists()
    # the corrected request under a new key goes through; a replay of it moves nothing twice
    body = {"stage": proposal.pk, "values": {"amount": "10"}}
    ok = http.post(f"deals/{deal.pk}/move", body, headers={"Idempotency-Key": "move-2"})
    assert ok.status_code == 200, ok.content
    again = http.post(f"deals/{deal.pk}/move", body, headers={"Idempotency-Key": "move-2"})
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert deal.transitions.count() == 2  # created + one move


def test_a_key_held_by_another_running_request_is_422(world, api):
    http = api(world.owner)
    IdempotencyKey.objects.create(user=world.owner, key="busy", fingerprint="x" * 64)
    with unchanged():
        assert_problem(http.post("clients", {"name": "ООО"}, headers={"Idempotency-Key": "busy"}), 422)
    IdempotencyKey.objects.filter(key="busy").delete()


def test_in_progress_with_the_same_fingerprint_is_409(world, api, rf):
    http = api(world.owner)
    from voronka.api.idempotency import fingerprint

    raw = json.dumps({"name": "ООО В работе"})
    request = rf.post("/api/v1/clients", raw, content_type="application/json")
    IdempotencyKey.objects.create(user=world.owner, key="busy", fingerprint=fingerprint(request))
    with unchanged():
        assert_problem(http.post("clients", raw=raw, headers={"Idempotency-Key": "busy"}), 409,
                       "idempotency_in_progress")


def test_bad_keys_are_refused(world, api):
    http = api(world.owner)
    with unchanged():
        assert_problem(http.post("clients", {"name": "ООО"}, headers={"Idempotency-Key": "x" * 300}), 400,
                       "invalid_idempotency_key")
        assert_problem(http.post("clients", {"name": "ООО"}, headers={"Idempotency-Key": ""}), 400,
                       "invalid_idempotency_key")


def test_get_ignores_the_key(world, api):
    http = api(world.owner, "read")
    assert http.get("clients", headers={"Idempotency-Key": "k"}).status_code == 200
    assert not IdempotencyKey.objects.exists()


def test_tick_purges_keys_older_than_a_day(world):
    from voronka.accounts.services import purge_idempotency_keys

    old = IdempotencyKey.objects.create(user=world.owner, key="old", fingerprint="f" * 64, status=201)
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    fresh = IdempotencyKey.objects.create(user=world.owner, key="fresh", fingerprint="f" * 64, status=201)
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert purge_idempotency_keys() == 0


def test_a_key_older_than_a_day_may_be_used_afresh(world, api):
    http = api(world.owner)
    assert http.post("clients", {"name": "ООО Старый ключ"}, headers={"Idempotency-Key": "daily"}).status_code == 201
    IdempotencyKey.objects.filter(key="daily").update(created_at=timezone.now() - dt.timedelta(hours=25))
    again = http.post("clients", {"name": "ООО Новый день", "allow_duplicate": True},
                      headers={"Idempotency-Key": "daily"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
