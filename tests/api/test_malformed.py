"""Garbage to every operation of the OpenAPI schema: malformed ids, huge numbers, wrong types, bad JSON.
The answer is a 4xx problem JSON, never a 500, and nothing is written."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import assert_problem
from tests.dbstate import unchanged
from tests.factories import make_deal
from voronka.api.urls import api as ninja_api

pytestmark = pytest.mark.django_db

BAD_IDS = ["0", "-1", "abc", "9" * 40, "1e3", "1.5", "²", "١", "%00", "1%20OR%201=1", str(2**63)]
BAD_VALUES = [None, "", "x" * 20_000, 10**40, -(10**40), 1.5e308, "1e309", "NaN", [], {}, True, "²", "٣"]
BAD_BODIES = ["", "{", "[]", "null", "\"text\"", "{\"a\": NaN}", "{\"a\": Infinity}", "123", b"\xff\xfe{",
              "{" * 5000 + "}" * 5000]
# JSON escapes of lone surrogates decode to strings no database or encoder takes
SURROGATES = ["\\ud800", "a\\udfff"]
FIELDS = ["name", "title", "stage", "version", "pipeline", "client", "owner", "amount", "values", "first_task",
          "lost_reason", "comment", "outcome", "task", "due_date", "to", "postpone_to", "next_task", "deal",
          "region", "responsible", "custom", "contacts", "allow_duplicate", "kind", "email", "phone"]


def _operations():
    schema = ninja_api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            yield method.upper(), path


OPERATIONS = sorted(set(_operations()))


def _fill(path: str, value: str) -> str:
    out = path
    for name in ("deal_id", "client_id", "task_id", "pipeline_id", "user_id", "kind", "name"):
        out = out.replace("{" + name + "}", value)
    return out


def _send(http, method, path, **kwargs):
    if method == "GET":
        return http.get(path, kwargs.get("params"))
    if method == "PATCH":
        return http.patch(path, kwargs.get("body"), raw=kwargs.get("raw"))
    return http.post(path, kwargs.get("body"), raw=kwargs.get("raw"))


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline)


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if "{" in op[1]])
def test_malformed_ids_in_the_path(world, api, deal, method, path):
    http = api(world.owner)
    with unchanged():
        for bad in BAD_IDS:
            response = _send(http, method, _fill(path, bad))
            assert 400 <= response.status_code < 500, (method, path, bad, response.status_code)
            if response["Content-Type"].startswith("application/"):
                assert_problem(response, response.status_code)


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op[0] != "GET"])
def test_bad_bodies_and_values(world, api, deal, method, path):
    http = api(world.owner)
    real = _fill(path, str(deal.pk)) if "{kind}" not in path else path
    real = real.replace(str(deal.pk), str(deal.client_id)) if "clients/" in path else real
    real = real.replace(str(deal.pk), str(deal.tasks.first().pk)) if "tasks/" in path else real
    with unchanged():
        for raw in BAD_BODIES:
            response = _send(http, method, real, raw=raw)
            assert 400 <= response.status_code < 500, (method, path, raw[:20], response.content[:300])
            assert_problem(response, response.status_code)
        for escaped in SURROGATES:
            raw = "{" + ", ".join(f'"{f}": "{escaped}"' for f in FIELDS) + "}"
            response = _send(http, method, real, raw=raw)
            assert 400 <= response.status_code < 500, (method, path, escaped, response.content[:300])
            assert_problem(response, response.status_code)
        for value in BAD_VALUES:
            body = {field: value for field in FIELDS}
            response = _send(http, method, real, body=body)
            assert 400 <= response.status_code < 500, (method, path, repr(value)[:20], response.content[:300])
            assert_problem(response, response.status_code)


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op[0] == "GET"])
def test_bad_query_parameters(world, api, deal, method, path):
    http = api(world.owner, "read")
    real = _fill(path, str(deal.pk))
    real = real.replace("dictionaries/" + str(deal.pk), "dictionaries/products")
    real = real.replace("reports/" + str(deal.pk), "reports/funnel")
    params = ["limit", "cursor", "q", "status", "pipeline", "stage", "owner", "source", "rating", "overdue",
              "mine", "deal", "client", "due_before", "from", "to", "by", "mode", "product", "active"]
    for value in ["9" * 40, "-1", "²", "x" * 5000, "1e309", "", "%00", "null"]:
        response = http.get(real, {p: value for p in params})
        assert response.status_code < 500, (path, value, response.content[:300])


def test_numbers_that_overflow_the_columns_are_field_errors(world, api, deal):
    http = api(world.owner)
    with unchanged():
        for amount in ["9" * 30, "1e20", "-5", "1,2,3", "NaN", 10**30]:
            response = http.patch(f"deals/{deal.pk}", {"version": 1, "values": {"amount": amount}})
            assert_problem(response, response.status_code, field="amount")
        response = http.post(f"deals/{deal.pk}/move", {"stage": 2**63 - 1})
        assert_problem(response, 404, field="stage")


def test_json_body_with_wrong_types_names_the_field(world, api, deal):
    body = assert_problem(api(world.owner).post(f"deals/{deal.pk}/move", {"stage": "second"}), 422, "validation")
    assert body["errors"][0]["field"] == "stage"


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/", "/api/v2/deals", "/api/v1/deals/1/x/y"])
def test_unknown_api_path_is_a_problem(world, api, path):
    assert_problem(api(world.owner, "read").get(path), 404, "not_found")


def test_problem_body_is_json(world, api, deal):
    response = api(world.owner).post(f"deals/{deal.pk}/move", raw="{")
    body = assert_problem(response, 400, "bad_request")
    assert json.loads(response.content) == body


@pytest.mark.parametrize("method", ["delete", "put"])
def test_unsupported_method_is_a_problem(world, api, method):
    http = api(world.owner)
    response = getattr(http.http, method)("/api/v1/deals", "{}", content_type="application/json",
                                          HTTP_AUTHORIZATION=f"Bearer {http.raw}")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
