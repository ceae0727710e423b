"""``/api/v1/webhooks``: CRUD, log, replay and test for administrators; 403 problems for anyone else."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, assert_problem
from tests.factories import make_deal
from voronka.accounts.services import create_api_token
from voronka.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription


@pytest.fixture
def api(world):
    def make(user, scope: str = "write") -> ApiClient:
        _token, raw = create_api_token(actor=user, name=f"test {scope}", scope=scope)
        return ApiClient(raw)

    return make


def _delete(client: ApiClient, path: str):
    return client.http.delete(f"/api/v1/{path}", **client._headers(None))


def test_admin_creates_lists_updates_and_deletes_a_webhook(world, api, receiver):
    admin = api(world.admin)
    response = admin.post("webhooks", {"name": "ERP", "target_url": receiver.url, "event_types": ["deal.won"]})
    assert response.status_code == 201, response.content
    body = response.json()
    s = WebhookSubscription.objects.get()
    assert body["secret"] == s.secret and body["event_types"] == ["deal.won"] and body["is_active"]
    got = admin.get(f"webhooks/{s.pk}").json()
    assert "secret" not in got
    listed = admin.get("webhooks").json()
    assert [w["id"] for w in listed["items"]] == [s.pk] and listed["next"] is None
    patched = admin.patch(f"webhooks/{s.pk}", {"event_types": ["*"], "is_active": False}).json()
    assert patched["event_types"] == ["*"] and not patched["is_active"] and patched["paused_at"]
    assert admin.patch(f"webhooks/{s.pk}", {"is_active": True}).json()["is_active"]
    rotated = admin.post(f"webhooks/{s.pk}/rotate-secret").json()
    assert rotated["secret"] != body["secret"]
    assert "deal.won" in [e["type"] for e in admin.get("webhooks/events").json()]
    response = _delete(admin, f"webhooks/{s.pk}")
    assert response.status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert_problem(admin.get(f"webhooks/{s.pk}"), 404)


@pytest.mark.parametrize(("body", "field"), [
    ({"target_url": "ftp://example.com"}, "target_url"),
    ({"event_types": ["deal.exploded"]}, "event_types"),
    ({"event_types": [1]}, "event_types.0"),
    ({"name": ""}, "name"),
])
def test_bad_values_are_problems_on_their_field(world, api, body, field):
    values = {"name": "ERP", "target_url": "https://example.com/h", "event_types": ["deal.won"], **body}
    response = api(world.admin).post("webhooks", values)
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code, field=field)
    assert not WebhookSubscription.objects.exists()


def test_test_event_log_and_replay(world, api, receiver, django_capture_on_commit_callbacks):
    admin = api(world.admin)
    s = admin.post("webhooks", {"name": "R", "target_url": receiver.url, "event_types": ["*"]}).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"webhooks/{s['id']}/test")
    assert response.status_code == 202 and response.json()["event_type"] == "webhook.test"
    with django_capture_on_commit_callbacks(execute=True):
        make_deal(world.owner, world.pipeline)
    log = admin.get(f"webhooks/{s['id']}/deliveries").json()["items"]
    assert [d["status"] for d in log] == ["delivered"] * len(log) and len(log) == 3  # test, client, deal
    assert all(d["last_status_code"] == 200 and d["last_response_ms"] is not None for d in log)
    assert admin.get(f"webhooks/{s['id']}/deliveries", {"status": "dead"}).json()["items"] == []
    page = admin.get(f"webhooks/{s['id']}/deliveries", {"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"webhooks/{s['id']}/deliveries/{log[-1]['id']}/replay")
    assert response.status_code == 202
    assert len(receiver.requests) == 4
    assert WebhookDelivery.objects.get(pk=log[-1]["id"]).status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize("who", ["owner", "lead", "head", "analyst"])
def test_everyone_but_admins_is_refused_every_route(world, api, who):
    admin = api(world.admin)
    s = admin.post("webhooks", {"name": "R", "target_url": "https://example.com/h", "event_types": ["*"]}).json()
    other = api(getattr(world, who), scope="read" if who == "analyst" else "write")
    calls = [("get", "webhooks"), ("get", "webhooks/events"), ("get", f"webhooks/{s['id']}"),
             ("get", f"webhooks/{s['id']}/deliveries"), ("post", "webhooks"), ("patch", f"webhooks/{s['id']}"),
             ("post", f"webhooks/{s['id']}/rotate-secret"), ("post", f"webhooks/{s['id']}/test"),
             ("post", f"webhooks/{s['id']}/deliveries/1/replay"), ("delete", f"webhooks/{s['id']}")]
    for method, path in calls:
        if method == "delete":
            response = _delete(other, path)
        elif method == "get":
            response = other.get(path)
        else:
            response = getattr(other, method)(path, {"name": "X", "target_url": "https://evil.example/",
                                                     "event_types": ["*"], "is_active": False})
        assert response.status_code in (403, 404), (who, method, path, response.status_code)
        assert_problem(response, response.status_code)
    subscription = WebhookSubscription.objects.get()
    assert subscription.is_active and subscription.target_url == "https://example.com/h"


def test_the_list_runs_a_fixed_number_of_queries(world, api, django_assert_max_num_queries):
    admin = api(world.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            admin.get("webhooks")
        return len(ctx.captured_queries)

    for i in range(3):
        admin.post("webhooks", {"name": f"S{i}", "target_url": "https://example.com/h", "event_types": ["*"]})
    few = count()
    for i in range(7):
        admin.post("webhooks", {"name": f"T{i}", "target_url": "https://example.com/h", "event_types": ["*"]})
    assert count() == few
    with django_assert_max_num_queries(8):
        assert len(admin.get("webhooks").json()["items"]) == 10
