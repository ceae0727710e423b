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
from django.utils import timezone, translation

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


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English messages: pages, the CLI and services speak the installation's language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


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


# --- 4. custom number bounds, text lengths, malformed versions -------------------------------------------

@pytest.fixture
def numbers(db):
    CustomFieldDefinition.objects.create(entity="deal", key="employees", label="Сотрудники", field_type="number",
                                         min_value=0, max_value=100000, decimal_places=0)
    CustomFieldDefinition.objects.create(entity="deal", key="ratio", label="Доля", field_type="number")
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")
    CustomFieldDefinition.objects.create(entity="deal", key="note", label="Заметка", field_type="text")


@pytest.mark.parametrize(("key", "raw"), [
    ("ratio", "1E+309"), ("ratio", "1e309"), ("ratio", "-1e400"), ("ratio", "1" * 13), ("ratio", "0.1234567"),
    ("employees", "-1"), ("employees", "100001"), ("employees", "1.5"), ("employees", "²"),
    ("budget", "-0.01"), ("budget", "1e13"), ("note", "x" * 2001),
])
def test_a_custom_value_outside_its_definition_is_a_field_error(world, deal, numbers, key, raw):
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={f"cf:{key}": raw})
    assert exc.value.field == f"cf:{key}"


def test_custom_values_inside_the_bounds_are_stored(world, deal, numbers):
    deal = update_deal(actor=world.owner, deal=deal, values={
        "cf:employees": "250", "cf:ratio": "-0.125", "cf:budget": "1 000,5", "cf:note": "x" * 2000})
    assert {k: deal.custom[k] for k in ("employees", "ratio", "budget")} == {
        "employees": "250", "ratio": "-0.125", "budget": "1000.50"}
    assert len(deal.custom["note"]) == 2000


def test_the_inline_edit_of_a_custom_number_shows_the_error(as_owner, deal, numbers):
    url = reverse("deals:field", args=[deal.pk, "cf:employees"])
    with unchanged():
        response = as_owner.post(url, {"cf:employees": "-5", "version": deal.version}, **HTMX)
    assert response.status_code == 200 and "cf:employees" in response.context["form"].errors


@pytest.mark.parametrize(("spec", "field"), [
    ({"field_type": "text", "min_value": "1"}, "min_value"),
    ({"field_type": "number", "min_value": "10", "max_value": "1"}, "min_value"),
    ({"field_type": "number", "decimal_places": "7"}, "decimal_places"),
    ({"field_type": "money", "decimal_places": "3"}, "decimal_places"),
    ({"field_type": "number", "max_value": "1e309"}, "max_value"),
])
def test_custom_field_bounds_are_checked_in_settings(as_admin, spec, field):
    data = {"entity": "deal", "label": "Поле", "key": "pole", "is_active": "on", **spec}
    response = as_admin.post(reverse("settings:field_create"), data)
    assert response.status_code == 400 and field in response.context["form"].errors
    assert not CustomFieldDefinition.objects.filter(key="pole").exists()


def test_custom_field_bounds_are_saved_in_settings(as_admin):
    response = as_admin.post(reverse("settings:field_create"), {
        "entity": "deal", "label": "Сотрудники", "key": "staff", "field_type": "number", "min_value": "1",
        "max_value": "1000", "decimal_places": "0", "is_active": "on"})
    assert response.status_code == 302
    definition = CustomFieldDefinition.objects.get(key="staff")
    assert (definition.min_value, definition.max_value, definition.decimal_places) == (1, 1000, 0)


LONG = "я" * 100_001


@pytest.mark.parametrize("field", ["notes", "requisites"])
def test_long_client_texts_are_refused_not_cut(world, field):
    client = make_client(world.owner)
    with unchanged(), pytest.raises(DomainError) as exc:
        update_client(actor=world.owner, client=client, **{field: LONG})
    assert exc.value.field == field and "100" in exc.value.message
    with unchanged(), pytest.raises(DomainError):
        create_client(actor=world.owner, name="ООО Длинное", allow_duplicate=True, **{field: LONG})


def test_long_notes_in_the_client_form_are_a_field_error(as_owner, world):
    client = make_client(world.owner)
    data = {"kind": "company", "name": client.name, "responsible": world.owner.pk, "notes": LONG,
            "version": client.version}
    with unchanged():
        response = as_owner.post(reverse("clients:edit", args=[client.pk]), data)
    assert response.status_code == 400 and "notes" in response.context["form"].errors


def test_long_timeline_text_lost_comment_and_answers_are_refused(world, deal):
    from voronka.activities.services import add_timeline_entry
    from voronka.clients.models import Question, QuestionSet
    from voronka.clients.services import answer_questions
    from voronka.deals.services import lose_deal

    question = Question.objects.create(question_set=QuestionSet.objects.create(name="Q"), text="Бюджет?")
    with unchanged():
        for call, field in (
                (lambda: add_timeline_entry(actor=world.owner, kind="note", body=LONG, deal=deal), "body"),
                (lambda: lose_deal(actor=world.owner, deal=deal, reason=world.reason, comment=LONG), "comment"),
                (lambda: answer_questions(actor=world.owner, client=deal.client, answers={question.pk: LONG}),
                 f"q_{question.pk}")):
            with pytest.raises(DomainError) as exc:
                call()
            assert exc.value.field == field


BAD_VERSIONS = ["abc", "1.5", "-1", "0", "9" * 30, "١", "1e3"]


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_a_malformed_version_on_an_inline_edit_is_an_error_not_a_skipped_check(as_owner, deal, version):
    with unchanged():
        response = as_owner.post(reverse("deals:field", args=[deal.pk, "title"]),
                                 {"title": "Новое название", "version": version}, **HTMX)
    assert response.status_code == 200
    assert "out of date" in response.content.decode()


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_a_malformed_version_on_the_lines_is_an_error(as_owner, world, deal, version):
    with unchanged():
        response = as_owner.post(reverse("deals:lines", args=[deal.pk]),
                                 _lines_post(world.product, "1", "10", version), **HTMX)
    assert "out of date" in response.content.decode()


@pytest.mark.parametrize("version", BAD_VERSIONS)
@pytest.mark.parametrize("action", ["win", "lose"])
def test_a_malformed_version_in_the_close_dialogs_is_an_error(as_owner, world, deal, version, action):
    data = {"version": version, "amount": "100", "lost_reason": world.reason.pk, "comment": "x"}
    with unchanged():
        response = as_owner.post(reverse(f"deals:{action}", args=[deal.pk]), data, **HTMX)
    assert response.status_code < 500 and "out of date" in response.content.decode()


@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_a_malformed_version_in_the_client_form_is_an_error(as_owner, world, version):
    client = make_client(world.owner)
    data = {"kind": "company", "name": "ООО Новое имя", "responsible": world.owner.pk, "version": version}
    with unchanged():
        response = as_owner.post(reverse("clients:edit", args=[client.pk]), data)
    assert response.status_code == 400 and "out of date" in response.content.decode()


# --- 5. clients: optimistic version, only changed columns -----------------------------------------------

def test_a_stale_client_form_is_a_conflict_on_the_form(as_owner, world):
    client = make_client(world.owner)
    seen = client.version
    update_client(actor=world.owner, client=client, notes="Сначала коллега")
    data = {"kind": "company", "name": client.name, "responsible": world.owner.pk, "website": "new.example",
            "version": seen}
    with unchanged():
        response = as_owner.post(reverse("clients:edit", args=[client.pk]), data)
    assert response.status_code == 400
    assert "Someone else has changed this client" in response.content.decode()


def test_the_client_form_carries_the_version_and_bumps_it(as_owner, world):
    client = make_client(world.owner)
    html = as_owner.get(reverse("clients:edit", args=[client.pk])).content.decode()
    assert f'name="version" value="{client.version}"' in html
    data = {"kind": "company", "name": client.name, "responsible": world.owner.pk, "website": "new.example",
            "version": client.version}
    assert as_owner.post(reverse("clients:edit", args=[client.pk]), data).status_code == 302
    client.refresh_from_db()
    assert (client.website, client.version) == ("new.example", 2)


def test_an_edit_from_a_copy_read_before_a_win_cannot_revert_the_status(world, deal):
    copy = Client.objects.get(pk=deal.client_id)  # a form opened while the deal is being won
    win_deal(actor=world.owner, deal=deal, amount="100", values={"expected_close_date": "2099-01-31"})
    with pytest.raises(DomainError) as exc:
        update_client(actor=world.owner, client=copy, notes="Позвонить в среду")
    assert exc.value.code == "stale"
    assert Client.objects.get(pk=deal.client_id).status == "client"


def test_update_client_writes_only_the_changed_columns(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = make_client(world.owner, notes="Старое")
    with CaptureQueriesContext(connection) as ctx:
        update_client(actor=world.owner, client=client, notes="Новое", phone="")
    update = next(q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and "clients_client" in q["sql"])
    assert '"notes"' in update and '"status"' not in update and '"phone"' not in update


def test_an_unchanged_client_post_writes_nothing(world):
    client = make_client(world.owner, notes="Старое")
    with unchanged():
        update_client(actor=world.owner, client=client, notes="Старое")
    assert Client.objects.get(pk=client.pk).version == 1


# --- 6. partial posts do not erase data ---------------------------------------------------------------------

@pytest.fixture
def answered(world):
    from voronka.clients.models import QualificationAnswer, Question, QuestionSet

    question_set = QuestionSet.objects.create(name="Квалификация")
    questions = [Question.objects.create(question_set=question_set, text=f"Вопрос {i}", sort_order=i)
                 for i in range(2)]
    client = make_client(world.owner)
    for q in questions:
        QualificationAnswer.objects.create(client=client, question=q, answer=f"Ответ {q.pk}")
    return client, questions


def _answers(client):
    return sorted(client.answers.values_list("question_id", "answer"))


def test_a_qualification_post_without_the_answer_fields_keeps_the_answers(as_owner, answered):
    client, questions = answered
    before = _answers(client)
    response = as_owner.post(reverse("clients:qualification", args=[client.pk]), {}, **HTMX)
    assert response.status_code == 200 and _answers(client) == before
    as_owner.post(reverse("clients:qualification", args=[client.pk]),
                  {f"q_{questions[0].pk}": "Новый ответ"}, **HTMX)
    assert _answers(client) == [(questions[0].pk, "Новый ответ"), before[1]]


def test_an_answer_field_posted_empty_removes_that_answer(as_owner, answered):
    client, questions = answered
    as_owner.post(reverse("clients:qualification", args=[client.pk]), {f"q_{questions[1].pk}": ""}, **HTMX)
    assert [q for q, _a in _answers(client)] == [questions[0].pk]


@pytest.fixture
def with_lines(world, deal):
    second = Product.objects.create(name="Обучение", price=5000)
    return set_deal_lines(actor=world.owner, deal=deal, lines=[
        {"product": world.product.pk, "quantity": 2, "price": "1000"}, {"product": second.pk, "quantity": 1}])


@pytest.mark.parametrize("data", [
    {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"},
    {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1"},
    {},
])
def test_a_lines_post_without_the_rows_keeps_every_line(as_owner, with_lines, data):
    deal = with_lines
    with unchanged():
        response = as_owner.post(reverse("deals:lines", args=[deal.pk]), {**data, "version": deal.version}, **HTMX)
    assert response.status_code == 200
    assert deal.lines.count() == 2


def test_only_a_ticked_remove_box_deletes_a_line(as_owner, world, with_lines):
    deal = with_lines
    lines = list(deal.lines.order_by("id"))
    data = {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "2", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "100", "lines-0-product": lines[0].product_id, "lines-0-quantity": "2",
            "lines-0-price": "1000", "lines-0-discount_pct": "0", "lines-0-DELETE": "on", "version": deal.version}
    response = as_owner.post(reverse("deals:lines", args=[deal.pk]), data, **HTMX)
    assert response.status_code == 200
    assert list(deal.lines.values_list("product_id", flat=True)) == [lines[1].product_id]
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("5000.00")
