"""Install the default dictionaries, custom fields, qualification questions and the four pipelines."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from voronka.accounts.services import get_system_actor
from voronka.catalog.models import (
    Channel,
    CustomFieldDefinition,
    Industry,
    LostReason,
    Product,
    Region,
    Source,
    TargetAudience,
)
from voronka.clients.models import Question, QuestionSet
from voronka.mailings.services import install_default_sequence
from voronka.pipelines.models import Pipeline
from voronka.pipelines.services import BLUEPRINTS, install_pipeline_template, load_blueprint

DICTIONARIES = {
    "sources": Source, "channels": Channel, "industries": Industry, "target_audiences": TargetAudience,
    "regions": Region, "lost_reasons": LostReason,
}


def _t(value: Any, language: str) -> str:
    if isinstance(value, dict):
        return str(value.get(language) or value.get("ru") or "")
    return str(value)


@transaction.atomic
def install_defaults(*, language: str = "ru") -> dict[str, int]:
    """Idempotent: what exists already (by name / key / slug) is left as it is."""
    common = load_blueprint("common")
    counts: dict[str, int] = {}
    for key, model in DICTIONARIES.items():
        made = 0
        for order, item in enumerate(common.get(key) or [], start=1):
            _obj, created = model.objects.get_or_create(name=_t(item, language), defaults={"sort_order": order})
            made += created
        counts[key] = made
    for order, item in enumerate(common.get("products") or [], start=1):
        Product.objects.get_or_create(name=_t(item, language), defaults={
            "sku": item.get("sku", ""), "price": item.get("price", 0), "sort_order": order})
    for order, spec in enumerate(common.get("custom_fields") or [], start=1):
        CustomFieldDefinition.objects.get_or_create(entity=spec.get("entity", "deal"), key=spec["key"], defaults={
            "label": _t(spec["label"], language), "field_type": spec["type"], "sort_order": order,
            "choices": [{"value": c["value"], "label": _t(c, language)} for c in spec.get("choices") or []],
        })
    question_set, _created = QuestionSet.objects.get_or_create(
        name="Квалификация клиента" if language == "ru" else "Client qualification")
    if not question_set.questions.exists():
        Question.objects.bulk_create(
            Question(question_set=question_set, text=_t(q, language), sort_order=i)
            for i, q in enumerate(common.get("qualification_questions") or [], start=1))
    installed = 0
    for name in BLUEPRINTS:
        if not Pipeline.objects.filter(slug=load_blueprint(name)["slug"]).exists():
            install_pipeline_template(actor=get_system_actor(), name=name, language=language)
            installed += 1
    counts["pipelines"] = installed
    counts["sequences"] = int(install_default_sequence(language=language) is not None)
    return counts
