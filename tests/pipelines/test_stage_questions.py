"""Stage questions are catalogue questions referenced by id; a stage may require their answers."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import make_deal
from voronka.accounts.services import ensure_admin
from voronka.clients.models import QualificationAnswer, Question
from voronka.clients.selectors import qualification_sheet, question_key
from voronka.clients.services import answer_questions, create_client, update_question
from voronka.core.errors import MissingFields
from voronka.deals.models import Deal
from voronka.deals.selectors import stage_questions
from voronka.deals.services import move_deal, win_deal
from voronka.pipelines.selectors import asked_questions
from voronka.pipelines.services import (
    BLUEPRINTS,
    install_pipeline_from_template,
    load_blueprint,
    update_stage,
)


def test_every_question_of_every_template_can_be_answered(db):
    admin, _created = ensure_admin(username="owner", password="a-long-pass-phrase")
    pipelines = [install_pipeline_from_template(actor=admin, name=name) for name in BLUEPRINTS]
    client = create_client(actor=admin, name="ООО «Все ответы»")
    on_card = {question.pk for question, _answer in qualification_sheet(client=client)}
    total = 0
    for name, pipeline in zip(BLUEPRINTS, pipelines, strict=True):
        specs = {spec["slug"]: spec for spec in load_blueprint(name)["stages"]}
        for stage in pipeline.stages.all():
            wanted = [q["ru"] for q in specs[stage.slug].get("qualification_questions") or []]
            asked = asked_questions(stage)
            assert [q.text for q in asked] == wanted, stage.slug
            total += len(wanted)
            # each is a catalogue question, listed on the client card, so the manager can answer it
            assert {q.pk for q in asked} <= on_card, stage.slug
            answer_questions(actor=admin, client=client, answers={q.pk: f"Ответ на «{q.text}»" for q in asked})
    assert total == 27
    unsaved = Deal(client=client)  # stage_questions reads the deal's client only
    for pipeline in pipelines:
        for stage in pipeline.stages.all():
            for item in stage_questions(deal=unsaved, stage=stage):
                assert item["answer"] is not None, (stage.slug, item["question"].text)


def test_installing_twice_reuses_the_questions_instead_of_copying_them(db):
    admin, _created = ensure_admin(username="owner", password="a-long-pass-phrase")
    install_pipeline_from_template(actor=admin, name="inbound")
    count = Question.objects.count()
    install_pipeline_from_template(actor=admin, name="inbound")
    install_pipeline_from_template(actor=admin, name="outreach")
    texts = list(Question.objects.values_list("text", flat=True))
    assert len(texts) == len(set(texts))
    assert Question.objects.count() >= count


@pytest.fixture
def gate(world):
    """The "qualified" stage asks two questions and requires their answers."""
    stage = world.pipeline.stages.get(slug="qualified")
    update_stage(actor=world.admin, stage=stage, new_questions=["Какой бюджет?", "Кто принимает решение?"],
                 questions_required=True)
    return stage


def test_a_stage_that_requires_answers_refuses_entry_until_they_are_given(world, gate):
    deal = make_deal(world.owner, world.pipeline)
    budget, decider = asked_questions(gate)
    with pytest.raises(MissingFields) as exc:
        move_deal(actor=world.owner, deal=deal, stage=gate)
    assert exc.value.fields == [question_key(budget), question_key(decider)]
    assert "Какой бюджет?" in exc.value.message and "Кто принимает решение?" in exc.value.message
    deal.refresh_from_db()
    assert deal.stage.slug == "received"

    answer_questions(actor=world.owner, client=deal.client, answers={budget.pk: "Миллион"})
    with pytest.raises(MissingFields) as exc:
        move_deal(actor=world.owner, deal=deal, stage=gate)
    assert exc.value.fields == [question_key(decider)]

    moved = move_deal(actor=world.owner, deal=deal, stage=gate, values={question_key(decider): "Директор"})
    assert moved.stage_id == gate.pk
    assert QualificationAnswer.objects.get(client=deal.client, question=decider).answer == "Директор"


def test_questions_that_are_not_required_never_block(world):
    stage = world.pipeline.stages.get(slug="qualified")
    update_stage(actor=world.admin, stage=stage, new_questions=["Какой бюджет?"], questions_required=False)
    deal = make_deal(world.owner, world.pipeline)
    assert move_deal(actor=world.owner, deal=deal, stage=stage).stage_id == stage.pk


def test_a_switched_off_question_is_no_longer_asked_nor_required(world, gate):
    budget, decider = asked_questions(gate)
    update_question(actor=world.admin, question=budget, is_active=False)
    deal = make_deal(world.owner, world.pipeline)
    with pytest.raises(MissingFields) as exc:
        move_deal(actor=world.owner, deal=deal, stage=gate)
    assert exc.value.fields == [question_key(decider)]


def test_closing_from_the_stage_needs_the_answers_too(world, gate):
    deal = make_deal(world.owner, world.pipeline, stage=world.pipeline.stages.get(slug="received"))
    budget, decider = asked_questions(gate)
    answer_questions(actor=world.owner, client=deal.client, answers={budget.pk: "1", decider.pk: "2"})
    deal = move_deal(actor=world.owner, deal=deal, stage=gate)
    QualificationAnswer.objects.filter(question=decider).delete()
    with pytest.raises(MissingFields) as exc:
        win_deal(actor=world.owner, deal=deal, amount="1000",
                 values={"expected_close_date": "2099-01-31"})  # the later stages' field
    assert exc.value.fields == [question_key(decider)]


def test_the_move_dialog_asks_the_missing_answers_and_saves_them(client, world, gate):
    client.force_login(world.owner)
    deal = make_deal(world.owner, world.pipeline)
    budget, decider = asked_questions(gate)
    url = reverse("deals:move", args=[deal.pk])
    data = {"stage": gate.pk, "version": deal.version, "ctx": "board"}
    html = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert re.findall(r'data-required-field="([^"]+)"', html) == [question_key(budget), question_key(decider)]
    assert "Какой бюджет?" in html and "<textarea" in html
    deal.refresh_from_db()
    assert deal.stage.slug == "received"

    keys = [question_key(budget), question_key(decider)]
    response = client.post(url, {**data, "fields": keys, keys[0]: "Миллион", keys[1]: "Директор"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage_id == gate.pk
    assert set(QualificationAnswer.objects.filter(client=deal.client).values_list("answer", flat=True)) == {
        "Миллион", "Директор"}


def test_the_stage_editor_picks_existing_questions_and_creates_new_ones(client, world):
    client.force_login(world.admin)
    stage = world.pipeline.stages.get(slug="proposal")
    from voronka.clients.services import add_question, create_question_set

    catalogue = create_question_set(actor=world.admin, name="Квалификация клиента")
    budget = add_question(actor=world.admin, question_set=catalogue, text="Какой бюджет?")
    html = client.get(reverse("settings:stage", args=[stage.pk])).content.decode()
    assert f'value="{budget.pk}"' in html and "Какой бюджет?" in html
    data = {"name": stage.name, "probability": "30", "required_fields": ["amount"], "questions": [str(budget.pk)],
            "new_questions": "Когда запуск?\nкакой бюджет", "questions_required": "on"}
    response = client.post(reverse("settings:stage", args=[stage.pk]), data)
    assert response.status_code == 302
    stage.refresh_from_db()
    asked = asked_questions(stage)
    # "какой бюджет" is the catalogue question already checked: no duplicate
    assert [q.text for q in asked] == ["Какой бюджет?", "Когда запуск?"]
    assert asked[1].question_set.name == world.pipeline.name
    assert stage.questions_required is True
