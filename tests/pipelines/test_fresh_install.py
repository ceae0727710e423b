"""A real installation without the demo: migrate, install a template from Settings, sell.

Each test starts from the empty database the migrations leave, installs one template through the service
Settings calls, and runs one deal through every stage to won and another to lost, filling what each stage
asks for from what the installation itself provides (dictionaries, deal fields, questions).
"""

from __future__ import annotations

import datetime as dt

import pytest

from voronka.accounts.services import ensure_admin
from voronka.catalog.models import (
    Campaign,
    Channel,
    CustomFieldDefinition,
    Industry,
    LostReason,
    Product,
    Region,
    Source,
    TargetAudience,
)
from voronka.clients.services import add_contact, create_client
from voronka.core.errors import MissingFields
from voronka.deals.models import DealStatus
from voronka.deals.services import create_deal, lose_deal, move_deal, win_deal
from voronka.pipelines.models import Pipeline
from voronka.pipelines.services import BLUEPRINTS, install_pipeline_from_template, load_blueprint

DICTIONARIES = (LostReason, Source, Channel, Industry, TargetAudience, Region, Product, Campaign)


def _first(model) -> int:
    item = model.objects.filter(is_active=True).order_by("sort_order", "id").first()
    assert item is not None, f"the installation has no {model._meta.verbose_name_plural}"
    return item.pk


def _custom_value(definition: CustomFieldDefinition):
    kind = definition.field_type
    if kind in ("choice", "multichoice"):
        first = definition.choice_values[0]
        return first if kind == "choice" else [first]
    return {"money": "2500000", "number": "40", "date": "2027-12-31", "boolean": True}.get(kind, "Анна Смирнова")


def _value(key: str, client):
    """What a manager would enter for a required field, taken from the installation's own lists."""
    if key == "amount":
        return "360000"
    if key == "expected_close_date":
        return dt.date.today() + dt.timedelta(days=30)
    if key in ("source", "channel", "campaign", "product", "client.region", "client.industry",
               "client.target_audience"):
        model = {"source": Source, "channel": Channel, "campaign": Campaign, "product": Product,
                 "client.region": Region, "client.industry": Industry,
                 "client.target_audience": TargetAudience}[key]
        return _first(model)
    if key == "contact":
        return client.contacts.order_by("id").first().pk
    if key == "lines":
        return [{"product": _first(Product), "quantity": 1, "price": "360000"}]
    if key == "client.inn":
        return "7707083893"
    if key == "client.legal_address":
        return "г. Москва, ул. Тверская, д. 7"
    if key.startswith("cf:"):
        definition = CustomFieldDefinition.objects.filter(entity="deal", key=key[3:]).first()
        assert definition is not None, f"the installation lacks the deal field {key}"
        return _custom_value(definition)
    if key.startswith("q:"):
        return "Ответ клиента"
    raise AssertionError(f"no value for the required field {key}")


def _with_fields(action, client, keys: list[str]):
    """Call ``action(values)`` with the stage's fields; fill whatever else the service names and retry."""
    values = {key: _value(key, client) for key in keys}
    for _attempt in range(3):
        try:
            return action(values)
        except MissingFields as exc:
            unknown = [key for key in exc.fields if key not in values]
            assert unknown, f"the service still asks for {exc.fields}: {exc.message}"
            values.update({key: _value(key, client) for key in unknown})
    raise AssertionError("the required fields were never satisfied")


@pytest.fixture
def admin(db):
    for model in (*DICTIONARIES, CustomFieldDefinition, Pipeline):
        assert not model.objects.exists(), f"the database is not empty: {model.__name__}"
    user, _created = ensure_admin(username="owner", password="a-long-pass-phrase")
    return user


def _new_deal(admin, pipeline, title: str):
    client = create_client(actor=admin, name=f"ООО «{title}»", allow_duplicate=True)
    add_contact(actor=admin, client=client, name="Анна Смирнова", phone="+7 912 000-00-00")
    first = pipeline.stages.order_by("position", "id").first()
    return _with_fields(lambda values: create_deal(
        actor=admin, title=title, pipeline=pipeline, client=client, values=values,
        first_task={"title": "Позвонить", "kind": "call", "due_date": dt.date.today()}),
        client, [key for key in first.required_fields if key != "lines"])


@pytest.mark.parametrize("template", BLUEPRINTS)
def test_a_template_installed_on_an_empty_database_runs_a_deal_to_won_and_to_lost(admin, template):
    pipeline = install_pipeline_from_template(actor=admin, name=template, language="ru")

    assert LostReason.objects.filter(is_active=True).count() >= 5
    for model in (Source, Channel, Industry, TargetAudience, Region, Product, Campaign):
        assert model.objects.exists(), model._meta.verbose_name_plural
    common_keys = {spec["key"] for spec in load_blueprint("common")["custom_fields"]}
    assert common_keys <= set(CustomFieldDefinition.objects.filter(entity="deal").values_list("key", flat=True))
    assert {"revenue_per_year", "country"} <= common_keys

    won = _new_deal(admin, pipeline, "Победа")
    stages = list(pipeline.stages.order_by("position", "id"))
    for stage in stages[1:]:
        won = _with_fields(lambda values, s=stage, d=won: move_deal(actor=admin, deal=d, stage=s, values=values),
                           won.client, list(stage.required_fields))
        assert won.stage_id == stage.pk
    won = _with_fields(lambda values: win_deal(actor=admin, deal=won, values=values), won.client, [])
    assert won.status == DealStatus.WON and won.amount > 0

    lost = _new_deal(admin, pipeline, "Отказ")
    lost = lose_deal(actor=admin, deal=lost, reason=LostReason.objects.get(pk=_first(LostReason)),
                     comment="Бюджет ушёл на другое")
    assert lost.status == DealStatus.LOST and lost.lost_reason_id is not None


def test_installing_again_never_duplicates_and_keeps_what_the_admin_changed(admin):
    from voronka.catalog.services import update_dictionary_item

    install_pipeline_from_template(actor=admin, name="inbound")
    counts = {model: model.objects.count() for model in DICTIONARIES}
    fields = CustomFieldDefinition.objects.count()
    renamed = LostReason.objects.order_by("sort_order").first()
    update_dictionary_item(actor=admin, kind="lost-reasons", item=renamed, name="Дорого")
    switched_off = Source.objects.order_by("sort_order").first()
    update_dictionary_item(actor=admin, kind="sources", item=switched_off, is_active=False)
    relabelled = CustomFieldDefinition.objects.get(entity="deal", key="country")
    relabelled.label = "Страна клиента"
    relabelled.save()

    for template in BLUEPRINTS:
        install_pipeline_from_template(actor=admin, name=template)

    assert {model: model.objects.count() for model in DICTIONARIES} == counts
    assert CustomFieldDefinition.objects.count() == fields
    assert LostReason.objects.get(pk=renamed.pk).name == "Дорого"
    assert not LostReason.objects.filter(name="Нет денег").exists()
    assert Source.objects.get(pk=switched_off.pk).is_active is False
    assert CustomFieldDefinition.objects.get(pk=relabelled.pk).label == "Страна клиента"
    assert Pipeline.objects.filter(slug__startswith="inbound").count() == 2


def test_installing_in_english_names_the_dictionaries_in_english(admin):
    install_pipeline_from_template(actor=admin, name="renewal", language="en")
    assert LostReason.objects.filter(name="No money").exists()
    assert CustomFieldDefinition.objects.get(entity="deal", key="revenue_per_year").label == "Revenue per year"
