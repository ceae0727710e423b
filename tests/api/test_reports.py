"""Reports through the API: the engine's parameters and the CLI's JSON, within the caller's scope."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest

from tests.api.conftest import assert_problem
from tests.factories import make_deal
from voronka.analytics.engine import list_reports

pytestmark = pytest.mark.django_db


def _funnel_reached(body):
    return {row["stage_id"]: row["reached"] for row in body["rows"]}


def test_report_list_names_every_report(world, api):
    body = api(world.owner, "read").get("reports").json()
    assert [r["name"] for r in body] == [r.name for r in list_reports()]
    funnel = next(r for r in body if r["name"] == "funnel")
    assert funnel["modes"] == ["cohort", "flow"] and funnel["url"].endswith("/api/v1/reports/funnel")


def test_funnel_is_scoped_to_the_caller(world, api):
    for _ in range(2):
        make_deal(world.owner, world.pipeline)
    for _ in range(3):
        make_deal(world.teammate, world.pipeline)
    first = world.pipeline.stages.order_by("position").first()
    owner = api(world.owner, "read").get("reports/funnel", {"pipeline": "inbound"}).json()
    lead = api(world.lead, "read").get("reports/funnel", {"pipeline": "inbound"}).json()
    assert owner["report"] == "funnel" and owner["params"]["as"] == "owner"
    assert _funnel_reached(owner)[first.pk] == 2  # his own deals only
    assert _funnel_reached(lead)[first.pk] == 5  # the team's


def test_api_json_equals_the_cli_json(world, api):
    from voronka.cli import main

    make_deal(world.owner, world.pipeline)
    response = api(world.owner, "read").get("reports/win-rate", {"by": "manager"})
    assert response.status_code == 200, response.content
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["report", "win-rate", "--by", "manager", "--as", "owner", "--format", "json"]) in (0, None)
    cli = json.loads(out.getvalue())
    assert response.json() == cli


@pytest.mark.parametrize(("params", "field"), [({"from": "2026-13-01"}, "from"), ({"by": "nonsense"}, "by"),
                                                ({"pipeline": "nope"}, "pipeline"), ({"mode": "x"}, "mode"),
                                                ({"from": "2026-05-01", "to": "2026-01-01"}, "from"),
                                                ({"product": "abc"}, "product")])
def test_bad_parameters_are_field_errors(world, api, params, field):
    assert_problem(api(world.owner, "read").get("reports/funnel", params), 400, field=field)


def test_unknown_report_is_404(world, api):
    assert_problem(api(world.owner, "read").get("reports/nope"), 404, field="report")


def test_report_runs_a_constant_number_of_queries(world, api, django_assert_max_num_queries):
    http = api(world.head, "read")
    http.get("users/me")

    def count():
        with django_assert_max_num_queries(20) as ctx:
            assert http.get("reports/funnel", {"pipeline": "inbound", "by": "manager"}).status_code == 200
        return len(ctx.captured_queries)

    make_deal(world.owner, world.pipeline)
    small = count()
    for _ in range(6):
        make_deal(world.teammate, world.pipeline)
    assert count() == small
