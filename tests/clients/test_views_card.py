"""The client card: what it shows, its actions (contact, qualification, timeline, edit, refuse), scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_client, make_deal, task_spec
from voronka.activities.services import add_timeline_entry, create_task
from voronka.clients.models import Client, Contact, QualificationAnswer, Question, QuestionSet
from voronka.clients.services import add_contact

pytestmark = pytest.mark.django_db


def card_url(c, name="detail"):
    return reverse(f"clients:{name}", args=[c.pk])


@pytest.fixture
def questions(db):
    qs = QuestionSet.objects.create(name="Квалификация")
    return [Question.objects.create(question_set=qs, text=f"Вопрос {i}?", sort_order=i) for i in range(1, 4)]


def test_the_card_shows_company_contacts_deals_tasks_and_timeline(client, world, questions):
    c = make_client(world.owner, name="ООО Ромашка", phone="+79161234567", inn="7701234567", region=world.region)
    add_contact(actor=world.owner, client=c, name="Иван Петров", phone="8 903 111 22 33", position="CEO")
    deal = make_deal(world.owner, world.pipeline, client=c, title="Перевод сайта")
    add_timeline_entry(actor=world.owner, kind="note", body="Обсудили объёмы", client=c)
    client.force_login(world.owner)
    response = client.get(card_url(c))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("ООО Ромашка", "+7 916 123-45-67", "7701234567", "Москва", "Иван Петров", "+7 903 111-22-33",
                 deal.title, "Позвонить", "Обсудили объёмы", "Вопрос 1?"):
        assert text in body, text


def test_an_outsider_gets_404(client, world):
    c = make_client(world.owner)
    client.force_login(world.outsider)
    assert client.get(card_url(c)).status_code == 404
    for name in ("edit", "refuse"):
        assert client.get(card_url(c, name)).status_code == 404
    for name in ("contact_add", "qualification", "refuse", "edit"):
        assert client.post(card_url(c, name), {"contact_name": "X", "body": "x"}).status_code == 404
    assert not Contact.objects.filter(client=c).exists()


def test_a_teammate_lead_sees_the_card(client, world):
    c = make_client(world.owner)
    client.force_login(world.lead)
    assert client.get(card_url(c)).status_code == 200


def test_a_missing_client_is_404(client, world):
    client.force_login(world.head)
    assert client.get("/clients/999999/").status_code == 404
    assert client.get("/clients/99999999999999999999/").status_code == 404


def test_adding_a_contact_normalises_the_phone(client, world):
    c = make_client(world.owner)
    client.force_login(world.owner)
    response = client.post(card_url(c, "contact_add"), {"contact_name": "Анна", "contact_phone": "8 (916) 000-11-22",
                                                        "contact_email": "Anna@Example.RU"})
    assert response.status_code == 302
    contact = Contact.objects.get(client=c)
    assert (contact.phone, contact.email) == ("+79160001122", "anna@example.ru")


def test_adding_a_contact_over_htmx_returns_the_section(client, world):
    c = make_client(world.owner)
    client.force_login(world.owner)
    response = client.post(card_url(c, "contact_add"), {"contact_name": "Анна"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="contacts-panel"' in body and "Анна" in body and "<html" not in body


@pytest.mark.parametrize("data,field", [
    ({"contact_name": "Анна", "contact_phone": "12"}, "contact_phone"),
    ({"contact_name": "Анна", "contact_email": "not-an-email"}, "contact_email"),
    ({"contact_name": "", "contact_phone": "+79160001122"}, "contact_name"),
])
def test_a_bad_contact_gives_a_field_error(client, world, data, field):
    c = make_client(world.owner)
    client.force_login(world.owner)
    response = client.post(card_url(c, "contact_add"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["contact_form"].errors.get(field)
    assert not Contact.objects.filter(client=c).exists()
    full = client.post(card_url(c, "contact_add"), data)
    assert full.status_code == 400
    assert full.context["contact_form"].errors.get(field)


def test_qualification_answers_are_saved_and_cleared(client, world, questions):
    c = make_client(world.owner)
    client.force_login(world.owner)
    q1, q2, q3 = questions
    response = client.post(card_url(c, "qualification"),
                           {f"q_{q1.pk}": "Переводим сайт", f"q_{q2.pk}": "  ", f"q_{q3.pk}": "Сам директор"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "2/3" in response.content.decode()
    answers = dict(QualificationAnswer.objects.filter(client=c).values_list("question_id", "answer"))
    assert answers == {q1.pk: "Переводим сайт", q3.pk: "Сам директор"}
    client.post(card_url(c, "qualification"), {f"q_{q1.pk}": "", f"q_{q3.pk}": "Сам директор"})
    assert list(QualificationAnswer.objects.filter(client=c).values_list("question_id", flat=True)) == [q3.pk]


def test_an_unknown_question_is_ignored(client, world, questions):
    c = make_client(world.owner)
    client.force_login(world.owner)
    response = client.post(card_url(c, "qualification"), {"q_999999": "x", f"q_{questions[0].pk}": "ok"})
    assert response.status_code == 302
    assert QualificationAnswer.objects.filter(client=c).count() == 1


def test_the_card_offers_the_timeline_form_for_the_client(client, world):
    c = make_client(world.owner)
    client.force_login(world.owner)
    body = client.get(card_url(c)).content.decode()
    assert reverse("activities:timeline_add") in body
    assert f'name="client" value="{c.pk}"' in body


@pytest.mark.parametrize("part,text", [("tasks", "Позвонить"), ("deals", "Сделка-часть"), ("timeline", "Заметка-часть")])
def test_card_sections_reload_on_their_own(client, world, part, text):
    c = make_client(world.owner)
    make_deal(world.owner, world.pipeline, client=c, title="Сделка-часть")
    add_timeline_entry(actor=world.owner, kind="note", body="Заметка-часть", client=c)
    client.force_login(world.owner)
    response = client.get(card_url(c), {"part": part}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert text in body and "<html" not in body
    assert f"?part={part}" in body  # the section keeps its reload trigger
    assert client.get(card_url(c), {"part": "nonsense"}, HTTP_HX_REQUEST="true").status_code == 200


def test_the_card_lists_only_deals_and_tasks_in_scope(client, world):
    c = make_client(world.owner)
    make_deal(world.owner, world.pipeline, client=c, title="Своя сделка")
    make_deal(world.admin, world.pipeline, client=c, title="Сделка админа", owner=world.outsider)
    client.force_login(world.owner)
    body = client.get(card_url(c)).content.decode()
    assert "Своя сделка" in body
    assert "Сделка админа" not in body


def test_refusal_requires_a_reason(client, world):
    c = make_client(world.owner)
    client.force_login(world.owner)
    response = client.post(card_url(c, "refuse"), {"lost_reason": "", "comment": "Дорого"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["form"].errors.get("lost_reason")
    assert "<dialog" in response.content.decode()
    bad = client.post(card_url(c, "refuse"), {"lost_reason": "abc"})
    assert bad.status_code == 400
    c.refresh_from_db()
    assert c.status == "lead"


def test_refusing_puts_the_client_on_the_refusal_list(client, world):
    c = make_client(world.owner)
    client.force_login(world.owner)
    response = client.post(card_url(c, "refuse"), {"lost_reason": world.reason.pk, "comment": "Дорого"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 204  # core.htmx.hx_redirect: nothing to swap, htmx follows HX-Redirect
    assert response["HX-Redirect"] == card_url(c)
    c.refresh_from_db()
    assert (c.status, c.refusal_reason, c.refusal_comment) == ("refused", world.reason, "Дорого")
    body = client.get(card_url(c)).content.decode()
    assert "refusal-banner" in body and world.reason.name in body


def test_the_edit_dialog_opens_and_saves(client, world):
    c = make_client(world.owner, name="ООО Старое")
    client.force_login(world.owner)
    dialog = client.get(card_url(c, "edit"), HTTP_HX_REQUEST="true")
    assert dialog.status_code == 200 and "<dialog" in dialog.content.decode()
    page = client.get(card_url(c, "edit"))
    assert page.status_code == 200 and "<html" in page.content.decode()
    data = {"kind": "company", "name": "ООО Новое", "phone": "8 916 123 45 67", "inn": "7701234567",
            "region": world.region.pk, "rating": "A", "responsible": world.owner.pk}
    response = client.post(card_url(c, "edit"), data)
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.name, c.phone, c.inn, c.region, c.rating) == ("ООО Новое", "+79161234567", "7701234567",
                                                            world.region, "A")


@pytest.mark.parametrize("data,field", [
    ({"phone": "12"}, "phone"), ({"email": "nope"}, "email"), ({"inn": "12345"}, "inn"), ({"name": ""}, "name"),
    ({"region": "999999"}, "region"), ({"responsible": "abc"}, "responsible"), ({"rating": "Z"}, "rating"),
])
def test_bad_edits_give_field_errors(client, world, data, field):
    c = make_client(world.owner, name="ООО Старое")
    client.force_login(world.owner)
    response = client.post(card_url(c, "edit"), {"kind": "company", "name": "ООО Старое",
                                                 "responsible": world.owner.pk, **data}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert Client.objects.get(pk=c.pk).name == "ООО Старое"


def test_a_manager_cannot_hand_the_client_to_another_team(client, world):
    c = make_client(world.owner)
    client.force_login(world.owner)
    response = client.post(card_url(c, "edit"), {"kind": "company", "name": c.name,
                                                 "responsible": world.outsider.pk})
    assert response.status_code == 400
    assert response.context["form"].errors.get("responsible")


def test_an_analyst_reads_the_card_without_write_controls(client, world):
    c = make_client(world.owner)
    client.force_login(world.analyst)
    body = client.get(card_url(c)).content.decode()
    assert card_url(c, "refuse") not in body
    assert card_url(c, "edit") not in body and reverse("clients:quick_add") not in body
    response = client.post(card_url(c, "contact_add"), {"contact_name": "Анна"})
    assert response.status_code == 403
    assert not c.contacts.exists()


def _card_queries(client, c) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(card_url(c))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(world, c, n):
    for i in range(n):
        add_contact(actor=world.owner, client=c, name=f"Контакт {i}", phone=f"+7916000{i:04d}")
        deal = make_deal(world.owner, world.pipeline, client=c)
        create_task(actor=world.owner, client=c, **task_spec(days=i))
        add_timeline_entry(actor=world.owner, kind="note", body=f"Заметка {i}", client=c)
        add_timeline_entry(actor=world.owner, kind="call", body=f"Звонок {i}", deal=deal)


def test_the_card_runs_the_same_queries_for_3_and_10_rows(client, world, questions):
    c = make_client(world.owner)
    client.force_login(world.owner)
    _grow(world, c, 3)
    small = _card_queries(client, c)
    _grow(world, c, 7)
    assert _card_queries(client, c) == small
