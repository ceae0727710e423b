"""The data migration turns the stage question texts into links to catalogue questions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("pipelines", "0002_stage_questions")
AFTER = ("pipelines", "0003_stage_questions_from_texts")


def _migrate(target):
    """Pipelines at ``target`` (migrations that depend on later ones, e.g. plans, are rolled back with them);
    the models of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_texts_link_to_matching_catalogue_questions_or_become_questions_of_the_pipeline():
    apps = _migrate(BEFORE)
    try:
        Pipeline = apps.get_model("pipelines", "Pipeline")
        Stage = apps.get_model("pipelines", "Stage")
        QuestionSet = apps.get_model("clients", "QuestionSet")
        Question = apps.get_model("clients", "Question")
        catalogue = QuestionSet.objects.create(name="Квалификация клиента")
        budget = Question.objects.create(question_set=catalogue, text="Заложен ли бюджет?", sort_order=1)
        pipeline = Pipeline.objects.create(name="Входящие", slug="inbound")
        first = Stage.objects.create(pipeline=pipeline, name="A", slug="a", position=1,
                                     qualification_questions=["  заложен ли   бюджет ", "Кто ЛПР?", "Кто ЛПР?"])
        second = Stage.objects.create(pipeline=pipeline, name="B", slug="b", position=2,
                                      qualification_questions=["кто лпр", "Когда запуск?"])
        empty = Stage.objects.create(pipeline=pipeline, name="C", slug="c", position=3)

        apps = _migrate(AFTER)
        Link = apps.get_model("pipelines", "StageQuestion")
        Question = apps.get_model("clients", "Question")

        def asked(stage):
            return [(link.question.text, link.question.question_set.name)
                    for link in Link.objects.filter(stage_id=stage.pk).order_by("position")]

        # the catalogue question is linked as it is (answers already given count), the others are created once
        assert asked(first) == [("Заложен ли бюджет?", "Квалификация клиента"), ("Кто ЛПР?", "Входящие")]
        assert asked(second) == [("Кто ЛПР?", "Входящие"), ("Когда запуск?", "Входящие")]
        assert asked(empty) == []
        assert Link.objects.get(stage_id=first.pk, position=1).question_id == budget.pk
        assert Question.objects.count() == 3

        apps = _migrate(BEFORE)  # the reverse writes the texts back
        Stage = apps.get_model("pipelines", "Stage")
        assert Stage.objects.get(pk=second.pk).qualification_questions == ["Кто ЛПР?", "Когда запуск?"]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
