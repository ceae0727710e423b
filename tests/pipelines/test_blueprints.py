"""The four YAML blueprints: installed idempotently, every stage named by a completed action."""

from __future__ import annotations

import pytest

from voronka.catalog.fields import deal_fields
from voronka.catalog.models import CustomFieldDefinition, LostReason, Product, Source
from voronka.clients.models import Question
from voronka.demo.bootstrap import install_defaults
from voronka.pipelines.lint import lint_stage_name
from voronka.pipelines.models import Pipeline, Stage
from voronka.pipelines.services import BLUEPRINTS, load_blueprint

pytestmark = pytest.mark.django_db

SLUGS = {load_blueprint(name)["slug"] for name in BLUEPRINTS}


def _stage_warnings() -> list[tuple[str, str]]:
    return [(f"{s.pipeline.slug}/{s.slug}: {s.name}", w) for s in Stage.objects.select_related("pipeline")
            if (w := lint_stage_name(s.name))]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_install_defaults_creates_the_four_pipelines_with_their_stages(language):
    counts = install_defaults(language=language)
    assert counts["pipelines"] == 4
    assert set(Pipeline.objects.values_list("slug", flat=True)) == SLUGS
    for name in BLUEPRINTS:
        data = load_blueprint(name)
        pipeline = Pipeline.objects.get(slug=data["slug"])
        stages = list(pipeline.stages.order_by("position"))
        assert [s.slug for s in stages] == [spec["slug"] for spec in data["stages"]]
        assert [s.name for s in stages] == [spec["name"][language] for spec in data["stages"]]
        assert all(s.instructions and s.goal for s in stages)


def test_every_stage_of_the_russian_blueprints_passes_the_lint():
    install_defaults(language="ru")
    assert Stage.objects.count() > 0
    assert _stage_warnings() == []


def test_every_stage_of_the_english_blueprints_passes_the_lint():
    install_defaults(language="en")
    assert Stage.objects.count() > 0
    assert _stage_warnings() == []


def test_blueprint_stages_require_only_known_fields():
    install_defaults(language="ru")
    requirable = set(deal_fields().keys(requirable=True))
    assert CustomFieldDefinition.objects.filter(entity="deal").exists()
    for stage in Stage.objects.all():
        assert set(stage.required_fields) <= requirable, stage.slug


def test_install_defaults_ships_lost_reasons_dictionaries_and_questions():
    install_defaults(language="ru")
    assert LostReason.objects.count() >= 5
    assert Source.objects.exists() and Product.objects.exists() and Question.objects.exists()


def test_install_defaults_is_idempotent():
    install_defaults(language="ru")
    models = (Pipeline, Stage, CustomFieldDefinition, LostReason, Source, Product, Question)
    before = {m.__name__: m.objects.count() for m in models}
    counts = install_defaults(language="ru")
    assert {m.__name__: m.objects.count() for m in models} == before
    assert counts["pipelines"] == 0
    assert all(value == 0 for key, value in counts.items())
