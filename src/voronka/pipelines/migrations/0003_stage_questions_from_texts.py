"""Stage questions were texts matched against the question catalogue; link each to a catalogue question.

A text that matches a catalogue question (case, spaces and a final "?" ignored) links to it, so the answers
clients already gave count; any other text becomes a question in a set named after the pipeline. Reverse:
the links become texts again (the questions stay in the catalogue).
"""

from django.db import migrations


def _norm(text):
    return " ".join(str(text or "").casefold().split()).rstrip("?").strip()


def texts_to_links(apps, schema_editor):
    Stage = apps.get_model("pipelines", "Stage")
    StageQuestion = apps.get_model("pipelines", "StageQuestion")
    Question = apps.get_model("clients", "Question")
    QuestionSet = apps.get_model("clients", "QuestionSet")
    catalogue = {}
    for question in Question.objects.order_by("-is_active", "question_set_id", "id"):
        catalogue.setdefault(_norm(question.text), question)
    sets = {}
    for stage in Stage.objects.select_related("pipeline").order_by("pipeline_id", "position", "id"):
        texts = [" ".join(str(t).split()) for t in stage.qualification_questions or [] if str(t).strip()]
        linked = set()
        for text in texts:
            key = _norm(text)
            question = catalogue.get(key)
            if question is None:
                pipeline = stage.pipeline
                question_set = sets.get(pipeline.pk)
                if question_set is None:
                    question_set, _created = QuestionSet.objects.get_or_create(name=pipeline.name[:160])
                    sets[pipeline.pk] = question_set
                order = question_set.questions.count() + 1
                question = Question.objects.create(question_set=question_set, text=text[:500], sort_order=order)
                catalogue[key] = question
            if question.pk in linked:
                continue
            linked.add(question.pk)
            StageQuestion.objects.create(stage=stage, question=question, position=len(linked))


def links_to_texts(apps, schema_editor):
    Stage = apps.get_model("pipelines", "Stage")
    StageQuestion = apps.get_model("pipelines", "StageQuestion")
    for stage in Stage.objects.all():
        links = StageQuestion.objects.filter(stage=stage).select_related("question").order_by("position", "id")
        stage.qualification_questions = [link.question.text for link in links]
        stage.save(update_fields=["qualification_questions"])
    StageQuestion.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0001_initial'),
        ('pipelines', '0002_stage_questions'),
    ]

    operations = [
        migrations.RunPython(texts_to_links, links_to_texts),
    ]
