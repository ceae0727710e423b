"""Kanban board views: columns, infinite scroll, drag-and-drop moves, Win/Lose dialogs, query caps."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_deal
from voronka.deals.models import Deal, DealStatus, StageTransition

pytestmark = pytest.mark.django_db


def stage(world, slug, pipeline=None):
    return (pipeline or world.pipeline).stages.get(slug=slug)


@pytest.fixture
def client_owner(client, world):
    client.force_login(world.owner)
    return client


def _required_fields(html: str) -> list[str]:
    return re.findall(r'data-required-field="([^"]+)"', html)


def _move(client, deal, target, **extra):
    data = {"stage": target.pk, "version": deal.version, "ctx": "board", **extra}
    return client.post(reverse("deals:move", args=[deal.pk]), data, HTTP_HX_REQUEST="true")


# --- board page ----------------------------------------------------------------------------------------------

def test_board_default_redirects_to_the_first_pipeline_then_to_the_last_one(client_owner, world):
    response = client_owner.get(reverse("deals:board_default"))
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:board", args=["inbound"])
    client_owner.get(reverse("deals:board", args=["outreach"]))
    response = client_owner.get(reverse("deals:board_default") + "?overdue=1")
    assert response["Location"] == reverse("deals:board", args=["outreach"]) + "?overdue=1"


def test_board_needs_login(client, world):
    response = client.get(reverse("deals:board", args=["inbound"]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_board_unknown_pipeline_is_404(client_owner):
    assert client_owner.get(reverse("deals:board", args=["nope"])).status_code == 404


def test_board_shows_only_the_users_deals_with_counts_and_sums(client_owner, world):
    mine = make_deal(world.owner, world.pipeline, values={"amount": "1500"})
    other = make_deal(world.outsider, world.pipeline, values={"amount": "999"})
    response = client_owner.get(reverse("deals:board", args=["inbound"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="card-{mine.pk}"' in html
    assert f'id="card-{other.pk}"' not in html
    first = stage(world, "received")
    column = html[html.index(f'id="col-{first.pk}"'):]
    assert 'data-count="1"' in column[:2000]
    assert "1\u00a0500" in column[:2000]
    assert 'id="board-toast"' in html
    assert "Sortable.min.js" in html


def test_board_cards_carry_flags(client_owner, world):
    from django.utils import timezone

    deal = make_deal(world.owner, world.pipeline, first_task={"title": "Позвонить", "kind": "call",
                                                               "due_date": timezone.localdate().replace(year=2020)})
    html = client_owner.get(reverse("deals:board", args=["inbound"])).content.decode()
    card = html[html.index(f'id="card-{deal.pk}"'):]
    card = card[:card.index("</article>")]
    assert "flag-overdue" in card
    assert "flag-notask" not in card


def test_board_filters_in_the_url_apply(client, world):
    client.force_login(world.head)
    kept = make_deal(world.owner, world.pipeline, values={"source": world.source.pk})
    dropped = make_deal(world.teammate, world.pipeline)
    url = reverse("deals:board", args=["inbound"])
    html = client.get(url, {"source": world.source.pk}).content.decode()
    assert f'id="card-{kept.pk}"' in html and f'id="card-{dropped.pk}"' not in html
    html = client.get(url, {"owner": world.teammate.pk}).content.decode()
    assert f'id="card-{kept.pk}"' not in html and f'id="card-{dropped.pk}"' in html
    # the filter survives in the lazy-load URLs and the move context
    assert f"owner={world.teammate.pk}" in html
    # junk filter values are ignored, not a 500
    assert client.get(url, {"owner": "x", "rating": "Z", "source": "99999999999999999999"}).status_code == 200


def test_board_column_page_returns_the_next_cards(client_owner, world, monkeypatch):
    from voronka.deals import selectors

    deals = [make_deal(world.owner, world.pipeline) for _ in range(5)]
    first = stage(world, "received")
    url = reverse("deals:board_column", args=["inbound", first.pk])
    monkeypatch.setattr(selectors, "BOARD_PAGE", 2)
    html = client_owner.get(url, {"offset": 2}).content.decode()
    assert html.count("<article class=\"kcard") == 2
    assert f'id="card-{deals[2].pk}"' in html
    assert "offset=4" in html and 'hx-trigger="revealed' in html
    html = client_owner.get(url, {"offset": 4}).content.decode()
    assert html.count("<article class=\"kcard") == 1 and "kmore" not in html
    assert client_owner.get(url, {"offset": "junk"}).status_code == 200
    other_stage = stage(world, "base", world.other_pipeline)
    assert client_owner.get(reverse("deals:board_column", args=["inbound", other_stage.pk])).status_code == 404


# --- moves -------------------------------------------------------------------------------------------------------

def test_move_via_post_succeeds_and_rerenders_both_columns(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    source, target = deal.stage, stage(world, "qualified")
    response = _move(client_owner, deal, target)
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage_id == target.pk and deal.version == 2
    html = response.content.decode()
    assert f'id="col-{source.pk}"' in html and f'id="col-{target.pk}"' in html
    assert 'hx-swap-oob="outerHTML"' in html
    assert "deals:moved" in response["HX-Trigger"]


def test_outsider_cannot_see_or_move_a_deal(client, world):
    deal = make_deal(world.owner, world.pipeline)
    client.force_login(world.outsider)
    assert client.get(reverse("deals:detail", args=[deal.pk])).status_code == 404
    assert _move(client, deal, stage(world, "qualified")).status_code == 404
    assert client.get(reverse("deals:win", args=[deal.pk])).status_code == 404
    assert client.post(reverse("deals:lose", args=[deal.pk]), {"lost_reason": world.reason.pk}).status_code == 404
    deal.refresh_from_db()
    assert deal.stage.slug == "received" and deal.status == DealStatus.OPEN


def test_move_into_a_stage_with_required_fields_asks_for_exactly_those_and_writes_nothing(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    target = stage(world, "signed")  # requires amount and expected_close_date
    before = StageTransition.objects.count()
    response = _move(client_owner, deal, target)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<dialog data-autoopen" in html
    assert _required_fields(html) == ["amount", "expected_close_date"]
    assert "HX-Trigger" not in response
    deal.refresh_from_db()
    assert deal.stage.slug == "received" and deal.version == 1
    assert StageTransition.objects.count() == before


def test_posting_the_required_values_completes_the_move(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    target = stage(world, "signed")
    response = _move(client_owner, deal, target, fields=["amount", "expected_close_date"], amount="250000",
                     expected_close_date="2030-01-31")
    assert response.status_code == 200
    assert "deals:moved" in response["HX-Trigger"]
    deal.refresh_from_db()
    assert deal.stage_id == target.pk
    assert deal.amount == Decimal("250000") and str(deal.expected_close_date) == "2030-01-31"


def test_required_values_with_errors_re_render_the_dialog(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    target = stage(world, "signed")
    response = _move(client_owner, deal, target, fields=["amount", "expected_close_date"], amount="abc",
                     expected_close_date="not-a-date")
    html = response.content.decode()
    assert response.status_code == 200 and "<dialog data-autoopen" in html
    assert html.count('class="errorlist"') == 2
    deal.refresh_from_db()
    assert deal.stage.slug == "received"


def test_required_custom_and_client_fields_get_their_inputs(client_owner, world):
    from voronka.catalog.models import CustomFieldDefinition
    from voronka.pipelines.services import update_stage

    CustomFieldDefinition.objects.create(entity="deal", key="langs", label="Languages", field_type="multichoice",
                                         choices=[{"value": "en", "label": "English"}, {"value": "de", "label": "German"}])
    CustomFieldDefinition.objects.create(entity="deal", key="dm", label="Decision maker", field_type="boolean")
    target = stage(world, "qualified")
    update_stage(actor=world.admin, stage=target, required_fields=["cf:langs", "cf:dm", "client.region", "lines"])
    deal = make_deal(world.owner, world.pipeline)
    html = _move(client_owner, deal, target).content.decode()
    assert _required_fields(html) == ["cf:langs", "cf:dm", "client.region", "lines"]
    assert 'type="checkbox" name="cf:langs"' in html
    assert 'name="lines_product"' in html
    response = _move(client_owner, deal, target, fields=["cf:langs", "cf:dm", "client.region", "lines"],
                     **{"cf:langs": ["en", "de"], "cf:dm": "true", "client.region": world.region.pk,
                        "lines_product": world.product.pk, "lines_quantity": "2", "lines_price": ""})
    assert "deals:moved" in response["HX-Trigger"], response.content.decode()[:3000]
    deal.refresh_from_db()
    assert deal.stage_id == target.pk
    assert deal.custom == {"langs": ["en", "de"], "dm": True}
    assert deal.client.region_id == world.region.pk
    assert deal.lines.count() == 1 and deal.amount == Decimal("240000.00")


def test_stale_version_gives_a_message_and_writes_nothing(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    response = client_owner.post(reverse("deals:move", args=[deal.pk]),
                                 {"stage": stage(world, "qualified").pk, "version": 7, "ctx": "board"},
                                 HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "deals:moveFailed" in response["HX-Trigger"]
    assert 'id="board-toast"' in html and "msg-error" in html
    assert f'id="col-{deal.stage_id}"' in html  # the card goes back: its column is re-rendered
    deal.refresh_from_db()
    assert deal.stage.slug == "received" and deal.version == 1


@pytest.mark.parametrize("bad", ["abc", "", "0", "99999999999999999999", "-3"])
def test_bad_stage_id_gives_a_message_not_500(client_owner, world, bad):
    deal = make_deal(world.owner, world.pipeline)
    response = client_owner.post(reverse("deals:move", args=[deal.pk]), {"stage": bad, "ctx": "board"},
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "msg-error" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage.slug == "received"


def test_stage_of_another_pipeline_gives_a_message(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    foreign = stage(world, "letter", world.other_pipeline)
    response = _move(client_owner, deal, foreign)
    html = response.content.decode()
    assert response.status_code == 200 and "msg-error" in html
    assert f'id="col-{foreign.pk}"' not in html
    deal.refresh_from_db()
    assert deal.stage.slug == "received"


def test_move_from_the_deal_page_refreshes_it(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    response = client_owner.post(reverse("deals:move", args=[deal.pk]),
                                 {"stage": stage(world, "qualified").pk, "version": 1, "ctx": "page"},
                                 HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"
    response = client_owner.post(reverse("deals:move", args=[deal.pk]),
                                 {"stage": stage(world, "received").pk, "version": 1, "ctx": "page"},
                                 HTTP_HX_REQUEST="true")
    assert "message-dialog" in response.content.decode()


def test_move_dialog_lists_the_stages(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    html = client_owner.get(reverse("deals:move", args=[deal.pk]), {"ctx": "board"}).content.decode()
    assert html.count('class="btn move-stage') == 4
    assert reverse("deals:win", args=[deal.pk]) in html


# --- win / lose ----------------------------------------------------------------------------------------------------

def test_win_dialog_prefills_the_amount(client_owner, world):
    deal = make_deal(world.owner, world.pipeline, values={"amount": "777"})
    html = client_owner.get(reverse("deals:win", args=[deal.pk]), {"ctx": "board"}).content.decode()
    assert "<dialog data-autoopen" in html and 'value="777' in html


def test_win_without_amount_shows_the_error_in_the_dialog(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    response = client_owner.post(reverse("deals:win", args=[deal.pk]), {"amount": "", "ctx": "board"},
                                 HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<dialog data-autoopen" in html and "errorlist" in html
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN


def test_win_with_amount_closes_the_deal_and_updates_the_column(client_owner, world):
    deal = make_deal(world.owner, world.pipeline, values={"expected_close_date": "2030-01-31"})
    response = client_owner.post(reverse("deals:win", args=[deal.pk]),
                                 {"amount": "5000", "version": 1, "ctx": "board"}, HTTP_HX_REQUEST="true")
    assert "deals:won" in response["HX-Trigger"]
    html = response.content.decode()
    assert f'id="col-{deal.stage_id}"' in html and f'id="card-{deal.pk}" hx-swap-oob="delete"' in html
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON and deal.amount == Decimal("5000")


def test_lose_without_reason_is_an_error(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    response = client_owner.post(reverse("deals:lose", args=[deal.pk]), {"comment": "x", "ctx": "board"},
                                 HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "errorlist" in html
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN


def test_lose_with_reason_closes_the_deal(client_owner, world):
    deal = make_deal(world.owner, world.pipeline)
    response = client_owner.post(reverse("deals:lose", args=[deal.pk]),
                                 {"lost_reason": world.reason.pk, "comment": "дорого", "ctx": "board"},
                                 HTTP_HX_REQUEST="true")
    assert "deals:lost" in response["HX-Trigger"]
    deal.refresh_from_db()
    assert deal.status == DealStatus.LOST and deal.lost_comment == "дорого"


def test_analyst_cannot_move(client, world):
    deal = make_deal(world.owner, world.pipeline)
    client.force_login(world.analyst)
    response = _move(client, deal, stage(world, "qualified"))
    assert response.status_code == 403  # read-only: the write dialogs and their posts are refused
    assert Deal.objects.get(pk=deal.pk).stage.slug == "received"


# --- query caps -----------------------------------------------------------------------------------------------------

def _count(client, url, **params) -> int:
    client.get(url, params)  # the first visit stores the last pipeline in the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _spread(world, n: int) -> None:
    from voronka.deals.services import move_deal

    stages = list(world.pipeline.stages.order_by("position"))
    for i in range(n):
        deal = make_deal(world.owner, world.pipeline, values={"amount": "100", "source": world.source.pk})
        if i % 2:
            move_deal(actor=world.owner, deal=deal, stage=stages[1])


def test_board_query_count_does_not_grow_with_deals(client_owner, world):
    url = reverse("deals:board", args=["inbound"])
    _spread(world, 3)
    small = _count(client_owner, url)
    _spread(world, 7)
    assert _count(client_owner, url) == small
    assert small <= 17  # PostgreSQL reads one more than SQLite; the top-bar task counters add one


def test_board_column_query_count_does_not_grow_with_deals(client_owner, world):
    url = reverse("deals:board_column", args=["inbound", stage(world, "received").pk])
    _spread(world, 3)
    small = _count(client_owner, url, offset=0)
    _spread(world, 7)
    assert _count(client_owner, url, offset=0) == small
    assert small <= 8  # 2 of them read the user's access (role scopes, pipeline access) once per request
