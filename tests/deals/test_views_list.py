"""Deal list view: scope, filters and sorting from the URL, pagination, bulk reassign, query caps."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_deal
from voronka.deals.models import Deal

pytestmark = pytest.mark.django_db


def _rows(html: str) -> int:
    return html.count('data-deal-row="')


def test_list_needs_login(client, world):
    assert client.get(reverse("deals:list")).status_code == 302


def test_list_shows_only_visible_deals(client, world):
    mine = make_deal(world.owner, world.pipeline)
    other = make_deal(world.outsider, world.pipeline)
    client.force_login(world.owner)
    html = client.get(reverse("deals:list")).content.decode()
    assert f'data-deal-row="{mine.pk}"' in html and f'data-deal-row="{other.pk}"' not in html


def test_filters_in_the_url_apply(client, world):
    client.force_login(world.head)
    a = make_deal(world.owner, world.pipeline, title="Альфа перевод", values={"source": world.source.pk})
    b = make_deal(world.teammate, world.other_pipeline, title="Бета локализация")
    url = reverse("deals:list")
    html = client.get(url, {"q": "альфа"}).content.decode()
    assert f'data-deal-row="{a.pk}"' in html and f'data-deal-row="{b.pk}"' not in html
    html = client.get(url, {"pipeline": world.other_pipeline.pk}).content.decode()
    assert f'data-deal-row="{a.pk}"' not in html and f'data-deal-row="{b.pk}"' in html
    html = client.get(url, {"source": world.source.pk, "owner": world.owner.pk}).content.decode()
    assert _rows(html) == 1 and f'data-deal-row="{a.pk}"' in html
    html = client.get(url, {"status": "won"}).content.decode()
    assert _rows(html) == 0
    for junk in ({"stage": "x"}, {"page": "abc"}, {"page": "9999"}, {"owner": "-1"}, {"status": "nope"}):
        assert client.get(url, junk).status_code == 200


def test_sort_by_a_column_and_a_bad_column_is_ignored(client, world):
    client.force_login(world.owner)
    cheap = make_deal(world.owner, world.pipeline, values={"amount": "10"})
    dear = make_deal(world.owner, world.pipeline, values={"amount": "1000"})
    url = reverse("deals:list")
    html = client.get(url, {"o": "amount"}).content.decode()
    assert html.index(f'data-deal-row="{cheap.pk}"') < html.index(f'data-deal-row="{dear.pk}"')
    assert 'aria-sort="ascending"' in html
    html = client.get(url, {"o": "-amount"}).content.decode()
    assert html.index(f'data-deal-row="{dear.pk}"') < html.index(f'data-deal-row="{cheap.pk}"')
    for bad in ("password", "owner__password", "-id;drop", "amount__gt"):
        response = client.get(url, {"o": bad})
        assert response.status_code == 200
        assert 'aria-sort="ascending"' not in response.content.decode()


def test_pagination_50_per_page(client, world):
    client.force_login(world.owner)
    for _ in range(52):
        make_deal(world.owner, world.pipeline)
    url = reverse("deals:list")
    assert _rows(client.get(url).content.decode()) == 50
    html = client.get(url, {"page": 2}).content.decode()
    assert _rows(html) == 2 and 'rel="prev"' in html and 'rel="next"' not in html


def test_bulk_reassign_only_touches_visible_deals(client, world):
    client.force_login(world.lead)
    mine = make_deal(world.owner, world.pipeline)
    teammates = make_deal(world.teammate, world.pipeline)
    foreign = make_deal(world.outsider, world.pipeline)
    response = client.post(reverse("deals:bulk_reassign"), {
        "deal": [mine.pk, teammates.pk, foreign.pk, "junk"], "owner": world.teammate.pk,
        "next": reverse("deals:list") + "?o=amount"})
    assert response.status_code == 302 and response["Location"].endswith("?o=amount")
    assert Deal.objects.get(pk=mine.pk).owner_id == world.teammate.pk
    assert Deal.objects.get(pk=foreign.pk).owner_id == world.outsider.pk
    levels = sorted(m.level_tag for m in response.wsgi_request._messages)
    assert levels == ["error", "success"]  # one reassigned, one not found (outside the scope)


def test_bulk_reassign_to_an_owner_outside_the_scope_is_refused(client, world):
    client.force_login(world.lead)
    deal = make_deal(world.owner, world.pipeline)
    response = client.post(reverse("deals:bulk_reassign"), {"deal": [deal.pk], "owner": world.outsider.pk})
    assert response.status_code == 302
    assert Deal.objects.get(pk=deal.pk).owner_id == world.owner.pk


def test_bulk_reassign_without_a_selection_is_a_message(client, world):
    client.force_login(world.head)
    response = client.post(reverse("deals:bulk_reassign"), {"owner": world.owner.pk, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("deals:list")


def test_list_query_count_does_not_grow_with_deals(client, world):
    client.force_login(world.head)
    url = reverse("deals:list")

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for user in (world.owner, world.teammate, world.outsider):
        make_deal(user, world.pipeline, values={"source": world.source.pk})
    small = count()
    for i in range(7):
        make_deal((world.owner, world.teammate)[i % 2], (world.pipeline, world.other_pipeline)[i % 2])
    assert count() == small
    assert small <= 21  # 1 of them: the top bar's task counters; 2: the chosen columns and custom fields
