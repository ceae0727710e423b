"""Replays of the payloads a fuzzing run found (issue 7, "Bad input that reaches the database or turns into a 500").

Each malformed request goes to the real route as the role that found it and must answer with a 4xx or a
field error, leaving every domain table as it was (``tests.dbstate.unchanged``). Requests whose write is
legitimate but whose ``next`` is junk must commit exactly once and redirect to the default page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal
from voronka.activities.models import Activity, Task
from voronka.catalog.models import CustomFieldDefinition, LostReason, Product, Source
from voronka.clients.models import Client
from voronka.clients.services import create_client, update_client
from voronka.core.errors import DomainError
from voronka.core.money import parse_money
from voronka.core.params import parse_id
from voronka.deals.models import Deal
from voronka.deals.services import set_deal_lines, update_deal, win_deal

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
HUGE_QUANTITY, HUGE_PRICE = "999999999.999", "999999999999.99"  # each fits its column, the product does not


@pytest.fixture
def deal(world):
    return make_deal(world.owner, world.pipeline, values={"amount": "1200"})


@pytest.fixture
def as_owner(client, world):
    client.force_login(world.owner)
    return client


@pytest.fixture
def as_admin(client, world):
    client.force_login(world.admin)
    return client


def _lines_post(product, quantity, price, version, **extra):
    return {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "100", "lines-0-product": product.pk, "lines-0-quantity": quantity,
            "lines-0-price": price, "lines-0-discount_pct": "0", "version": version, **extra}


def _pages_answer(client, deal) -> None:
    """The pages that broke for everybody once a 9.99e+20 amount was stored."""
    for url in (reverse("deals:detail", args=[deal.pk]), reverse("clients:detail", args=[deal.client_id]),
                reverse("deals:list") + "?o=-amount", reverse("web:search") + "?q=" + deal.title):
        assert client.get(url).status_code == 200, url


# --- 1. amounts beyond the column's precision ---------------------------------------------------------

def test_lines_whose_total_overflows_the_amount_column_are_a_field_error(as_owner, world, deal):
    url = reverse("deals:lines", args=[deal.pk])
    with unchanged():
        response = as_owner.post(url, _lines_post(world.product, HUGE_QUANTITY, HUGE_PRICE, deal.version), **HTMX)
    assert response.status_code == 200
    assert "beyond the largest amount" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("1200.00")
    _pages_answer(as_owner, deal)


def test_lines_in_a_move_dialog_that_overflow_are_a_field_error(as_owner, world, deal):
    stage = world.pipeline.stages.get(slug="qualified")
    data = {"stage": stage.pk, "version": deal.version, "fields": "lines", "lines_product": world.product.pk,
            "lines_quantity": HUGE_QUANTITY, "lines_price": HUGE_PRICE}
    with unchanged():
        response = as_owner.post(reverse("deals:move", args=[deal.pk]), data, **HTMX)
    assert response.status_code == 200
    assert "beyond the largest amount" in response.content.decode()
    _pages_answer(as_owner, deal)


@pytest.mark.parametrize("call", ["lines", "update", "win"])
def test_every_service_path_checks_the_amount_range(world, deal, call):
    with unchanged(), pytest.raises(DomainError) as exc:
        if call == "lines":
            set_deal_lines(actor=world.owner, deal=deal, lines=[
                {"product": world.product.pk, "quantity": HUGE_QUANTITY, "price": HUGE_PRICE}])
        elif call == "update":
            update_deal(actor=world.owner, deal=deal, values={"amount": "1e26"})
        else:
            win_deal(actor=world.owner, deal=deal, amount="1000000000000")
    assert exc.value.field in ("lines", "amount")


def test_the_sum_of_lines_that_each_fit_is_still_checked(world, deal):
    line = {"product": world.product.pk, "quantity": "1", "price": "600000000000"}
    with unchanged(), pytest.raises(DomainError, match="total of the lines"):
        set_deal_lines(actor=world.owner, deal=deal, lines=[line, line])


@pytest.mark.parametrize("raw", ["1e26", "1e309", "1E+309", "-1e309", "inf", "NaN", "²", "١٢٣", "１２", "0x10",
                                 "1 000 000 000 000", "1.2.3", "", "abc", "9" * 100])
def test_the_money_parser_refuses_junk_with_a_field_error(raw):
    with pytest.raises(DomainError) as exc:
        parse_money(raw, field="amount")
    assert exc.value.field == "amount"


@pytest.mark.parametrize(("raw", "expected"), [("1 234,5", "1234.50"), ("999999999999.99", "999999999999.99"),
                                               ("0", "0.00"), ("12.345", "12.35"), (Decimal("7"), "7.00")])
def test_the_money_parser_keeps_plain_numbers(raw, expected):
    assert parse_money(raw) == Decimal(expected)


@pytest.mark.parametrize(("kind", "field"), [("products", "price"), ("campaigns", "cost")])
def test_dictionary_prices_and_costs_use_the_same_parser(as_admin, world, kind, field):
    with unchanged():
        response = as_admin.post(reverse("settings:dictionary", args=[kind]),
                                 {"new-name": "Новая", f"new-{field}": "1e309", "new-currency": "RUB"})
    assert response.status_code == 400
    assert not Product.objects.filter(name="Новая").exists()


def test_a_custom_money_field_refuses_an_overflow(world, deal):
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"cf:budget": "1e309"})
    assert exc.value.field == "cf:budget"


# --- 2. next that is not a safe local path ------------------------------------------------------------

BAD_NEXTS = ["1", "deals:list", "//evil.example/x", "https://evil.example/", "javascript:alert(1)",
             "/ok\r\nSet-Cookie: a=b", "\\\\evil.example", "/" + "x" * 5000]


@pytest.mark.parametrize("nxt", BAD_NEXTS)
def test_timeline_add_with_a_bad_next_commits_once_and_goes_to_my_day(as_owner, deal, nxt):
    before = Activity.objects.count()
    response = as_owner.post(reverse("activities:timeline_add"),
                             {"deal": deal.pk, "kind": "note", "body": "Позвонил", "next": nxt})
    assert response.status_code == 302 and response["Location"] == reverse("web:my_day")
    assert Activity.objects.count() == before + 1


@pytest.mark.parametrize("nxt", BAD_NEXTS[:4])
def test_task_create_with_a_bad_next_commits_once(as_owner, world, deal, nxt):
    before = Task.objects.count()
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = as_owner.post(reverse("activities:create"), {
        "deal": deal.pk, "title": "Отправить КП", "kind": "email", "due_date": due,
        "assignee": world.owner.pk, "next": nxt})
    assert response.status_code == 302 and response["Location"] == reverse("web:my_day")
    assert Task.objects.count() == before + 1


@pytest.mark.parametrize("nxt", BAD_NEXTS[:4])
def test_task_complete_with_a_bad_next_commits_once(as_owner, deal, nxt):
    task = Task.objects.get(deal=deal, status="open")
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = as_owner.post(reverse("activities:complete", args=[task.pk]), {
        "outcome": "postpone", "comment": "Просили перезвонить", "postpone_to": due, "next": nxt})
    assert response.status_code == 302 and response["Location"] == reverse("web:my_day")
    task.refresh_from_db()
    assert task.status == "done"


def test_a_good_next_is_kept(as_owner, deal):
    response = as_owner.post(reverse("activities:timeline_add"),
                             {"deal": deal.pk, "kind": "note", "body": "ok", "next": f"/deals/{deal.pk}/?a=1"})
    assert response["Location"] == f"/deals/{deal.pk}/?a=1"


@pytest.mark.parametrize("nxt", BAD_NEXTS)
def test_bulk_reassign_and_the_language_switch_fall_back(as_owner, world, deal, nxt):
    response = as_owner.post(reverse("deals:bulk_reassign"),
                             {"deal": [deal.pk], "owner": world.teammate.pk, "next": nxt})
    assert response.status_code == 302 and response["Location"] == reverse("deals:list")
    response = as_owner.post(reverse("web:language"), {"language": "en", "next": nxt})
    assert response.status_code == 302 and response["Location"] == "/"


# --- 3. numbers and ids: ASCII digits only -------------------------------------------------------------

@pytest.mark.parametrize("amount", ["1e26", "1e309", "²", "١٠٠"])
def test_quick_add_with_a_junk_amount_is_a_field_error(as_owner, world, amount):
    data = {"kind": "company", "name": "ООО Фазз", "pipeline": world.pipeline.pk, "amount": amount,
            "task_title": "Позвонить", "task_kind": "call", "task_due_date": timezone.localdate().isoformat()}
    with unchanged():
        response = as_owner.post(reverse("clients:quick_add"), data)
    assert response.status_code == 400
    assert "amount" in response.context["form"].errors


@pytest.mark.parametrize("order", ["²", "{pk},²", "١", "{pk}\u00b9", "１"])
def test_reorder_with_non_ascii_digits_is_refused(as_admin, world, order):
    Source.objects.create(name="Второй")
    before = list(Source.objects.order_by("pk").values_list("pk", "sort_order"))
    response = as_admin.post(reverse("settings:dictionary_reorder", args=["sources"]),
                             {"order": order.format(pk=world.source.pk)})
    assert response.status_code < 500
    assert list(Source.objects.order_by("pk").values_list("pk", "sort_order")) == before
    stages = list(world.pipeline.stages.order_by("pk").values_list("pk", "position"))
    response = as_admin.post(reverse("settings:stage_reorder", args=[world.pipeline.pk]), {"order": order})
    assert response.status_code < 500
    assert list(world.pipeline.stages.order_by("pk").values_list("pk", "position")) == stages


@pytest.mark.parametrize("raw", ["²", "١٢", "１２", "+1", " 1_0", "1.0", "-1", "0", "9" * 30, True])
def test_parse_id_accepts_ascii_digits_only(raw):
    assert parse_id(raw) is None


def test_parse_id_keeps_plain_ids():
    assert (parse_id("12"), parse_id(" 7 "), parse_id(3)) == (12, 7, 3)


@pytest.mark.parametrize("inn", ["٧٧٠٧٠٨٣٨٩٣", "７７０７０８３８９３", "77070838９３", "12345", "7707083893x"])
def test_an_inn_with_non_ascii_digits_is_a_field_error(world, inn):
    with unchanged(), pytest.raises(DomainError) as exc:
        create_client(actor=world.owner, name="ООО Цифры", inn=inn, allow_duplicate=True)
    assert exc.value.field == "inn"


def test_the_inn_duplicate_check_cannot_be_dodged(world):
    make_client(world.owner, inn="7707083893")
    client = make_client(world.owner, name="ООО Другое")
    with unchanged(), pytest.raises(DomainError):
        update_client(actor=world.owner, client=client, inn="٧٧٠٧٠٨٣٨٩٣")
    assert Client.objects.filter(inn="7707083893").count() == 1
    assert create_client(actor=world.owner, name="ООО Третье", inn="7707-083-893",
                         allow_duplicate=True).inn == "7707083893"


def test_a_lost_reason_id_in_other_digits_is_unknown(world, deal):
    from voronka.deals.services import lose_deal

    reason = LostReason.objects.get()
    arabic = str(reason.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with unchanged(), pytest.raises(DomainError):
        lose_deal(actor=world.owner, deal=deal, reason=arabic)
