"""Keyset pages: every row exactly once across pages, a bounded page size, a constant number of queries."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem
from tests.factories import make_client, make_deal
from voronka.api.pagination import encode_cursor

pytestmark = pytest.mark.django_db


def _walk(http, path, params):
    seen, url, pages = [], path, 0
    while url:
        response = http.get(url, params if pages == 0 else None)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["id"] for row in body["items"]]
        url, pages = body["next"], pages + 1
        assert pages < 50
    return seen, pages


def test_every_deal_exactly_once_across_pages(world, api):
    ids = {make_deal(world.owner, world.pipeline).pk for _ in range(7)}
    make_deal(world.teammate, world.pipeline)  # out of scope
    seen, pages = _walk(api(world.owner, "read"), "deals", {"limit": 3})
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert pages == 3
    assert seen == sorted(seen, reverse=True)  # newest first


def test_rows_added_meanwhile_do_not_shift_pages(world, api):
    for _ in range(5):
        make_client(world.owner)
    http = api(world.owner, "read")
    first = http.get("clients", {"limit": 2}).json()
    make_client(world.owner)  # a new client is newer than every page: it never appears in the next ones
    second = http.get(first["next"]).json()
    third = http.get(second["next"]).json()
    ids = [c["id"] for c in first["items"] + second["items"] + third["items"]]
    assert len(ids) == len(set(ids)) == 5 and third["next"] is None


def test_filters_survive_in_the_next_link(world, api):
    for _ in range(3):
        make_deal(world.owner, world.pipeline)
    other = {make_deal(world.owner, world.other_pipeline).pk for _ in range(3)}
    seen, _pages = _walk(api(world.owner, "read"), "deals", {"limit": 2, "pipeline": world.other_pipeline.pk})
    assert set(seen) == other


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", "9" * 30])
def test_page_size_is_bounded(world, api, limit):
    assert_problem(api(world.owner, "read").get("deals", {"limit": limit}), 422, field="limit")


@pytest.mark.parametrize("cursor", ["garbage", "a" * 64, encode_cursor(1)[:-1] + "!", "kZZ", "=" * 10])
def test_bad_cursor_is_a_problem(world, api, cursor):
    response = api(world.owner, "read").get("deals", {"cursor": cursor})
    assert_problem(response, response.status_code, field="cursor")
    assert response.status_code in (400, 422)


def _count(django_assert_max_num_queries, http, path, params, cap):
    with django_assert_max_num_queries(cap) as ctx:
        response = http.get(path, params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json()["items"])


@pytest.mark.parametrize("path", ["deals", "clients", "tasks", "pipelines", "users", "teams",
                                  "dictionaries/products", "contacts"])
def test_lists_run_a_constant_number_of_queries(world, api, django_assert_max_num_queries, path):
    http = api(world.owner, "read")
    client = make_client(world.owner)
    if path == "contacts":
        from voronka.clients.services import add_contact

        path = f"clients/{client.pk}/contacts"
        grow = lambda: add_contact(actor=world.owner, client=client, name="К")  # noqa: E731
    else:
        grow = lambda: make_deal(world.owner, world.pipeline, values={"source": world.source.pk})  # noqa: E731
    for _ in range(3):
        grow()
    http.get("users/me")  # the token's last_used_at is written once a minute: not inside the counts
    small, rows_small = _count(django_assert_max_num_queries, http, path, {"limit": 100}, 8)
    for _ in range(7):
        grow()
    large, rows_large = _count(django_assert_max_num_queries, http, path, {"limit": 100}, 8)
    assert small == large, (path, small, large)
    if path in ("deals", "clients", "tasks") or path.endswith("contacts"):
        assert rows_large > rows_small


def test_timeline_runs_a_constant_number_of_queries(world, api, django_assert_max_num_queries):
    from voronka.activities.services import add_timeline_entry

    deal = make_deal(world.owner, world.pipeline)
    http = api(world.owner, "read")
    http.get("users/me")
    counts = []
    for size in (3, 10):
        while deal.activities.count() < size:
            add_timeline_entry(actor=world.owner, kind="note", body="заметка", deal=deal)
        counts.append(_count(django_assert_max_num_queries, http, f"deals/{deal.pk}/timeline", {"limit": 100}, 8))
    assert counts[0][0] == counts[1][0] and counts[1][1] > counts[0][1]
