"""Dashboards per role: the home page, the blocks from the report definitions, drill-down, constant queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_deal
from voronka.analytics.dashboards import DASHBOARDS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("username", "kind"), [("owner", "manager"), ("lead", "lead"), ("head", "head")])
def test_home_is_the_dashboard_of_the_role(world, client, username, kind):
    client.force_login(getattr(world, username))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/reports/dashboard/"
    html = client.get("/reports/dashboard/").content.decode()
    blocks = re.findall(r'data-block="(\w+)"', html)
    assert blocks == [b.key for b in DASHBOARDS[kind]]
    assert 'href="/my-day/"' in html  # My day stays one click away


@pytest.mark.parametrize(("nxt", "expected"), [
    (None, "/"), ("/deals/", "/deals/"), ("//evil.example/x", "/"), ("https://evil.example/", "/")])
def test_sign_in_lands_on_the_dashboard_unless_a_safe_next_is_given(world, client, nxt, expected):
    world.owner.set_password("Right-horse-battery-9")
    world.owner.save()
    data = {"username": world.owner.username, "password": "Right-horse-battery-9"}
    if nxt is not None:
        data["next"] = nxt
    response = client.post("/login/", data)
    assert response.status_code == 302 and response["Location"] == expected
    if expected == "/":
        assert client.get("/", follow=True).redirect_chain[-1][0] == "/reports/dashboard/"


def test_the_dashboard_draws_from_the_same_parameters_and_refuses_bad_ones(world, client):
    client.force_login(world.head)
    response = client.get("/reports/dashboard/", {"from": "yesterday"})
    assert response.status_code == 400 and 'data-field="from"' in response.content.decode()
    assert client.get("/reports/dashboard/nobody/").status_code == 404
    html = client.get("/reports/dashboard/lead/").content.decode()  # a head may open a lead's dashboard
    assert re.findall(r'data-block="(\w+)"', html) == [b.key for b in DASHBOARDS["lead"]]


@pytest.mark.parametrize("username", ["owner", "lead", "head"])
def test_a_dashboard_runs_a_constant_number_of_queries(world, client, username):
    client.force_login(getattr(world, username))
    counts = []
    for n in (2, 9):
        for i in range(n):
            make_deal(world.owner if i % 2 else world.teammate, world.pipeline)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/reports/dashboard/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
