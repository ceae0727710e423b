"""Settings › Qualification questions: services (configure only, audited) and the screens."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from voronka.audit.models import AuditEntry
from voronka.clients.models import QualificationAnswer, Question, QuestionSet
from voronka.clients.services import (
    add_question,
    answer_questions,
    create_question_set,
    move_question,
    reorder_questions,
    update_question,
    update_question_set,
)
from voronka.core.errors import DomainError, Forbidden


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English messages: pages, the CLI and services speak the installation's language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def qset(world):
    question_set = create_question_set(actor=world.admin, name="Квалификация")
    for text in ("Какой бюджет?", "Кто ЛПР?", "Когда запуск?"):
        add_question(actor=world.admin, question_set=question_set, text=text)
    return question_set


def _texts(question_set) -> list[str]:
    return list(question_set.questions.order_by("sort_order", "id").values_list("text", flat=True))


def test_admin_adds_renames_reorders_and_switches_off_questions(world, qset):
    budget, decider, launch = qset.questions.order_by("sort_order")
    update_question(actor=world.admin, question=decider, text="Кто принимает решение?")
    move_question(actor=world.admin, question=launch, direction="up")
    assert _texts(qset) == ["Какой бюджет?", "Когда запуск?", "Кто принимает решение?"]
    reorder_questions(actor=world.admin, question_set=qset, question_ids=[decider.pk, budget.pk, launch.pk])
    assert _texts(qset) == ["Кто принимает решение?", "Какой бюджет?", "Когда запуск?"]
    update_question(actor=world.admin, question=budget, is_active=False)
    update_question_set(actor=world.admin, question_set=qset, name="Квалификация B2B")
    qset.refresh_from_db()
    assert qset.name == "Квалификация B2B"
    assert not Question.objects.get(pk=budget.pk).is_active
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"question_set.created", "question.created", "question.updated", "question_set.reordered",
            "question_set.updated"} <= actions


def test_switching_a_question_off_keeps_the_answers_given(world, qset, owner):
    from tests.factories import make_client

    client = make_client(owner)
    budget = qset.questions.first()
    answer_questions(actor=owner, client=client, answers={budget.pk: "Миллион"})
    update_question(actor=world.admin, question=budget, is_active=False)
    assert QualificationAnswer.objects.get(client=client, question=budget).answer == "Миллион"


@pytest.mark.parametrize("text", ["", "   ", "x" * 501, "какой   бюджет"])
def test_bad_or_duplicate_question_texts_are_field_errors(world, qset, text):
    with pytest.raises(DomainError) as exc:
        add_question(actor=world.admin, question_set=qset, text=text)
    assert exc.value.field == "text"
    assert qset.questions.count() == 3


def test_a_set_name_is_unique_whatever_the_case(world, qset):
    with pytest.raises(DomainError) as exc:
        create_question_set(actor=world.admin, name="  квалификация ")
    assert exc.value.field == "name"


def test_reorder_must_name_every_question_once(world, qset):
    ids = list(qset.questions.values_list("pk", flat=True))
    with pytest.raises(DomainError):
        reorder_questions(actor=world.admin, question_set=qset, question_ids=ids[:2])


def test_only_administrators_edit_question_sets(world, qset):
    question = qset.questions.first()
    for actor in (world.owner, world.lead, world.head, world.analyst):
        with pytest.raises(Forbidden):
            create_question_set(actor=actor, name="Другой")
        with pytest.raises(Forbidden):
            add_question(actor=actor, question_set=qset, text="Новый?")
        with pytest.raises(Forbidden):
            update_question(actor=actor, question=question, text="Иначе?")
        with pytest.raises(Forbidden):
            update_question_set(actor=actor, question_set=qset, is_active=False)
    assert QuestionSet.objects.count() == 1 and qset.questions.count() == 3


# --- screens -----------------------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def test_the_screens_are_for_administrators_only(client, world, qset):
    question = qset.questions.first()
    client.force_login(world.head)
    for url in (reverse("settings:question_sets"), reverse("settings:question_set", args=[qset.pk]),
                reverse("settings:question", args=[question.pk])):
        assert client.get(url).status_code == 403
    assert client.post(reverse("settings:question_toggle", args=[question.pk])).status_code == 403
    assert Question.objects.get(pk=question.pk).is_active


def test_list_shows_the_sets_and_adds_one(admin_client, qset):
    html = admin_client.get(reverse("settings:question_sets")).content.decode()
    assert "Квалификация" in html and reverse("settings:question_set", args=[qset.pk]) in html
    response = admin_client.post(reverse("settings:question_sets"), {"new-name": "Продление"})
    created = QuestionSet.objects.get(name="Продление")
    assert response.status_code == 302 and response["Location"] == reverse("settings:question_set",
                                                                           args=[created.pk])
    response = admin_client.post(reverse("settings:question_sets"), {"new-name": "продление"})
    assert response.status_code == 400 and "already exists" in response.content.decode()


def test_set_page_adds_rewords_moves_and_switches_off_questions(admin_client, qset):
    page = reverse("settings:question_set", args=[qset.pk])
    assert admin_client.post(page, {"new-text": "Сколько сотрудников?"}).status_code == 302
    assert _texts(qset)[-1] == "Сколько сотрудников?"
    question = qset.questions.get(text="Кто ЛПР?")
    assert admin_client.post(reverse("settings:question", args=[question.pk]),
                             {"text": "Кто принимает решение?"}).status_code == 302
    assert admin_client.post(reverse("settings:question_move", args=[question.pk]),
                             {"direction": "up"}).status_code == 302
    assert _texts(qset)[:2] == ["Кто принимает решение?", "Какой бюджет?"]
    admin_client.post(reverse("settings:question_toggle", args=[question.pk]))
    assert not Question.objects.get(pk=question.pk).is_active
    ids = list(qset.questions.order_by("-id").values_list("pk", flat=True))
    admin_client.post(reverse("settings:question_reorder", args=[qset.pk]), {"order": ",".join(map(str, ids))})
    assert list(qset.questions.order_by("sort_order").values_list("pk", flat=True)) == ids
    assert admin_client.post(reverse("settings:question_set_edit", args=[qset.pk]),
                             {"name": "Квалификация 2"}).status_code == 302
    html = admin_client.get(page).content.decode()
    assert "Квалификация 2" in html and "Кто принимает решение?" in html


def test_unknown_ids_are_404(admin_client):
    assert admin_client.get(reverse("settings:question_set", args=[999999])).status_code == 404
    assert admin_client.get(reverse("settings:question", args=[999999])).status_code == 404


def test_set_list_query_count_does_not_grow(admin_client, world, django_assert_max_num_queries):
    for n in range(3):
        create_question_set(actor=world.admin, name=f"Набор {n}")
    with django_assert_max_num_queries(12) as small:
        admin_client.get(reverse("settings:question_sets"))
    for n in range(3, 13):
        create_question_set(actor=world.admin, name=f"Набор {n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        admin_client.get(reverse("settings:question_sets"))
