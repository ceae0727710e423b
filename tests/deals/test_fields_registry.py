"""The field registry (``catalog.fields``): every key kind parses, sets, reads and counts as filled the same
way, bad input is a DomainError naming the key, and every consumer accepts the same keys."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from tests.dbstate import unchanged
from tests.factories import make_client, make_deal
from voronka.accounts.models import Team, User
from voronka.catalog.fields import MISSING, ChangeSet, Kind, deal_fields, get_field
from voronka.catalog.models import Campaign, CustomFieldDefinition, Industry, TargetAudience
from voronka.clients.services import add_contact
from voronka.core.errors import DomainError
from voronka.deals.forms import DealValuesForm
from voronka.deals.models import Deal
from voronka.deals.rules import labels_for, missing_required_fields
from voronka.deals.services import move_deal, update_deal, win_deal
from voronka.pipelines.forms import StageForm
from voronka.pipelines.services import add_stage, update_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def defs(db):
    made = {}
    for entity, key, kind, choices in (
        ("deal", "budget", "money", []), ("deal", "volume", "number", []), ("deal", "note", "text", []),
        ("deal", "start", "date", []), ("deal", "vip", "boolean", []),
        ("deal", "country", "choice", [{"value": "ru", "label": "Россия"}, {"value": "kz", "label": "Казахстан"}]),
        ("deal", "languages", "multichoice", [{"value": "en", "label": "Английский"},
                                              {"value": "de", "label": "Немецкий"}]),
        ("client", "segment", "choice", [{"value": "smb", "label": "Малый бизнес"}]),
    ):
        made[key] = CustomFieldDefinition.objects.create(entity=entity, key=key, label=key.title(), field_type=kind,
                                                         choices=choices)
    return made


@pytest.fixture
def deal(world):
    client = make_client(world.owner)
    return make_deal(world.owner, world.pipeline, client=client)


# One good raw value per key, the value ``read`` gives after ``apply``, and the text ``display`` shows.
def _good(world, deal):
    contact = add_contact(actor=world.owner, client=deal.client, name="Анна")
    industry = Industry.objects.create(name="IT")
    audience = TargetAudience.objects.create(name="B2B")
    campaign = Campaign.objects.create(name="Весна")
    return {
        "title": ("  Новая сделка ", "Новая сделка", "Новая сделка"),
        "amount": ("1 250 000,5", Decimal("1250000.50"), "1\u00a0250\u00a0000,50\u00a0₽"),
        "expected_close_date": ("2030-01-31", dt.date(2030, 1, 31), None),
        "contact": (str(contact.pk), contact, "Анна"),
        "source": (world.source.pk, world.source, "Сайт"),
        "channel": (world.channel, world.channel, "Телефон"),
        "campaign": (str(campaign.pk), campaign, "Весна"),
        "product": (str(world.product.pk), world.product, "Переводчик API"),
        "client.region": (world.region.pk, world.region, "Москва"),
        "client.industry": (industry.pk, industry, "IT"),
        "client.target_audience": (str(audience.pk), audience, "B2B"),
        "client.inn": ("7701 234567", "7701234567", "7701234567"),
        "client.kpp": ("7701 01001", "770101001", "770101001"),
        "client.ogrn": ("1027700132195", "1027700132195", "1027700132195"),
        "client.legal_address": (" г. Москва ", "г. Москва", "г. Москва"),
        "client.bank_name": ("ПАО Сбербанк", "ПАО Сбербанк", "ПАО Сбербанк"),
        "client.bik": ("044525225", "044525225", "044525225"),
        "client.settlement_account": ("4070 2810 9380 0000 0001", "40702810938000000001", "40702810938000000001"),
        "client.corr_account": ("30101810400000000225", "30101810400000000225", "30101810400000000225"),
        "cf:budget": ("1 000,5", "1000.50", "1\u00a0000,50\u00a0₽"),
        "cf:volume": ("-3", "-3", "-3"),
        "cf:note": ("Привет", "Привет", "Привет"),
        "cf:start": ("2030-02-28", "2030-02-28", "2030-02-28"),
        "cf:vip": ("да", True, "Да"),
        "cf:country": ("kz", "kz", "Казахстан"),
        "cf:languages": (["en", "de"], ["en", "de"], "Английский, Немецкий"),
        "client.cf:segment": ("smb", "smb", "Малый бизнес"),
        "currency": ("usd", "USD", "USD"),
    }


def _write(deal, changes: ChangeSet) -> None:
    """What the deal services do with a change set (here without permission checks)."""
    deal.save()
    client = deal.client
    for attr, value in changes.client.items():
        setattr(client, attr, value)
    if changes.client_custom:
        custom = {**client.custom, **changes.client_custom}
        client.custom = {k: v for k, v in custom.items() if v is not None}
    client.save()


def test_every_key_kind_parses_sets_reads_displays_and_counts_as_filled_consistently(world, deal, defs):
    registry = deal_fields()
    good = _good(world, deal)
    assert set(good) == set(registry.keys(editable=True)) - {"lines"}
    for key, (raw, expected, shown) in good.items():
        spec = registry.get(key)
        assert not spec.is_filled(deal) or key in ("title", "currency"), key
        changes = registry.apply(deal, {key: raw})
        _write(deal, changes)
        deal.refresh_from_db()
        deal.client.refresh_from_db()
        assert spec.read(deal) == expected, key
        assert spec.is_filled(deal), key
        if shown is not None:
            assert spec.display(deal) == shown, key
        # Emptying sets the field back to empty (title and currency can never be empty).
        if key not in ("title", "currency"):
            _write(deal, registry.apply(deal, {key: ""}))
            deal.refresh_from_db()
            deal.client.refresh_from_db()
            assert not spec.is_filled(deal), key


def test_lines_parse_to_checked_lines_and_count_as_filled_once_stored(world, deal):
    spec = get_field("lines")
    assert not spec.is_filled(deal)
    lines = spec.parse([{"product": str(world.product.pk), "quantity": "2", "price": "100,5"}])
    assert lines == [{"product": world.product, "quantity": Decimal("2.000"), "price": Decimal("100.50"),
                      "discount_pct": Decimal("0")}]
    assert spec.parse([{"product": world.product}])[0]["price"] == world.product.price
    changes = deal_fields().apply(deal, {"lines": lines})
    assert changes.lines == lines and changes.deal_fields == []
    deal.lines.create(product=world.product, quantity=2, price=Decimal("100.50"))
    assert spec.is_filled(deal)


@pytest.mark.parametrize(("key", "raw"), [
    ("amount", "1e309"), ("amount", "1e26"), ("amount", "999999999999999.99"), ("amount", "-0.01"),
    ("amount", "NaN"), ("amount", "Infinity"), ("amount", "١٢٣"), ("amount", "１２３"), ("amount", "²"),
    ("amount", "12abc"), ("amount", True),
    ("expected_close_date", "2026-13-01"), ("expected_close_date", "2026-02-30"),
    ("expected_close_date", "31.12.2030"), ("expected_close_date", "２０２６-01-01"),
    ("source", "987654"), ("source", "²"), ("source", "١"), ("source", "-1"), ("source", "1.5"),
    ("source", 2**70), ("product", "abc"), ("channel", "٣"),
    ("client.region", "987654"), ("client.industry", "x"), ("client.inn", "12345"), ("client.inn", "١٢٣٤٥٦٧٨٩٠"),
    ("title", " "), ("title", "x" * 256), ("currency", "RUBL"), ("currency", "₽"),
    ("cf:budget", "1e309"), ("cf:budget", "-1"), ("cf:budget", "abc"), ("cf:volume", "1E+309"),
    ("cf:volume", "٣"), ("cf:start", "2026-13-01"), ("cf:vip", "может быть"), ("cf:country", "us"),
    ("cf:languages", "en,fr"), ("client.cf:segment", "big"),
    ("lines", [{"product": "987654"}]), ("lines", [{"quantity": "1"}]), ("lines", "x"),
    ("lines", [{"product": "PRODUCT", "quantity": "1e309"}]), ("lines", [{"product": "PRODUCT", "quantity": "0"}]),
    ("lines", [{"product": "PRODUCT", "price": "999999999999999"}]),
    ("lines", [{"product": "PRODUCT", "discount_pct": "101"}]),
])
def test_bad_input_is_a_domain_error_naming_the_key(world, deal, defs, key, raw):
    if isinstance(raw, list):
        raw = [{k: (world.product.pk if v == "PRODUCT" else v) for k, v in line.items()} for line in raw]
    spec = deal_fields().get(key)
    with pytest.raises(DomainError) as exc:
        spec.parse(raw, deal=deal)
    assert exc.value.field == key


def test_a_contact_of_another_client_is_refused(world, deal):
    other = add_contact(actor=world.owner, client=make_client(world.owner), name="Чужой")
    spec = get_field("contact")
    for raw in (other, other.pk, str(other.pk)):
        with pytest.raises(DomainError) as exc:
            spec.parse(raw, deal=deal)
        assert exc.value.field == "contact"


def test_unknown_and_read_only_keys_are_refused_with_the_key(deal, defs):
    registry = deal_fields()
    for key in ("colour", "status", "cf:nope", "client.cf:nope", "client.name", "owner", "team"):
        with pytest.raises(DomainError) as exc:
            registry.apply(deal, {key: "1"})
        assert exc.value.field == key


def test_an_inactive_custom_field_is_not_a_field_but_keeps_its_label(deal, defs):
    defs["note"].is_active = False
    defs["note"].save()
    registry = deal_fields()
    assert registry.get("cf:note") is None
    assert registry.label("cf:note") == "Note"
    assert "cf:note" not in registry


def test_a_stage_requiring_a_deactivated_field_no_longer_blocks_the_deal(world, deal, defs):
    stage = add_stage(actor=world.admin, pipeline=world.pipeline, name="Заметка оставлена", required_fields=["cf:note"])
    assert missing_required_fields(deal, stage) == ["cf:note"]
    CustomFieldDefinition.objects.filter(pk=defs["note"].pk).update(is_active=False)
    assert missing_required_fields(deal, stage) == []
    # The stage keeps the key (settings show it as inactive) and can still be saved with it.
    update_stage(actor=world.admin, stage=stage, required_fields=["cf:note", "amount"])
    assert stage.required_fields == ["cf:note", "amount"]
    with pytest.raises(DomainError) as exc:
        add_stage(actor=world.admin, pipeline=world.pipeline, name="Ещё этап", required_fields=["cf:note"])
    assert exc.value.field == "required_fields"


def test_labels_come_from_the_registry(defs):
    with translation.override("en"):
        assert labels_for(["amount", "client.inn", "cf:budget", "client.cf:segment", "colour"]) == [
            "Amount", "Client INN", "Budget", "Segment", "colour"]


def test_a_standard_key_costs_no_query_and_custom_keys_one(django_assert_num_queries, deal, defs):
    registry = deal_fields()
    with django_assert_num_queries(0):
        assert registry.get("amount").kind == Kind.MONEY
        assert registry.get("client.region").is_filled(deal) is False
    with django_assert_num_queries(1):
        assert registry.get("cf:budget") is not None
        assert registry.get("client.cf:segment") is not None
        registry.keys()


def test_each_spec_has_an_api_schema_and_report_slices_are_flagged(defs):
    registry = deal_fields()
    for spec in registry.specs():
        schema = spec.api_schema()
        assert schema["x-voronka-kind"] == spec.api_type and schema["title"], spec.key
    assert set(registry.keys(slice=True)) == {"source", "channel", "campaign", "product", "client.region",
                                               "client.industry", "client.target_audience", "owner", "team"}
    assert registry.get("cf:country").api_schema()["enum"] == ["ru", "kz", None]
    assert registry.api_schema()["properties"]["amount"]["format"] == "decimal"


def test_stage_settings_offer_exactly_what_the_stage_service_accepts(world, defs):
    registry = deal_fields()
    offered = {key for key, _label in StageForm(stage=world.pipeline.stages.first(), teams=Team.objects.all(),
                                                   users=User.objects.all())
               .fields["required_fields"].choices}
    assert offered == set(registry.keys(requirable=True))
    stage = add_stage(actor=world.admin, pipeline=world.pipeline, name="Всё заполнено", required_fields=sorted(offered))
    assert set(stage.required_fields) == offered
    for key in set(registry.keys()) - offered:  # title, currency: never empty; owner, team: not values
        with pytest.raises(DomainError):
            add_stage(actor=world.admin, pipeline=world.pipeline, name=f"Этап {key}", required_fields=[key])


def test_missing_form_value_marker_for_lines():
    assert get_field("lines").form_value({"lines_product": None}) is MISSING


# --- services and forms read the same registry --------------------------------------------------------------

def _service_accepts(world, key: str, raw) -> bool:
    """Whether update_deal takes ``key`` (a fresh deal each time; a refused key names itself)."""
    deal = make_deal(world.owner, world.pipeline)
    try:
        update_deal(actor=world.owner, deal=deal, values={key: raw})
    except DomainError as exc:
        assert exc.field == key, (key, exc.field)
        return False
    return True


def test_required_field_choices_form_fields_and_the_service_accept_the_same_keys(world, deal, defs):
    registry = deal_fields()
    editable = set(registry.keys(editable=True))
    good = {key: raw for key, (raw, _expected, _shown) in _good(world, deal).items()}
    good["contact"] = None  # the fresh deal of ``_service_accepts`` has its own client: empty is a valid value
    good["lines"] = [{"product": world.product.pk}]
    junk = ["colour", "status", "owner", "team", "client.name", "cf:nope", "client.cf:nope", "cf:", "lines_product"]

    form_keys = {key for key in [*editable, *junk] if DealValuesForm(keys=[key], deal=deal).keys == [key]}
    service_keys = {key for key in [*editable, *junk] if _service_accepts(world, key, good.get(key, "1"))}
    offered = {key for key, _label in StageForm(stage=world.pipeline.stages.first(), teams=Team.objects.all(),
                                                users=User.objects.all()).fields["required_fields"].choices}

    assert form_keys == service_keys == editable
    assert offered == set(registry.keys(requirable=True)) <= editable
    assert editable - offered == {"title", "currency"}  # never empty, so never required


def test_a_form_posts_what_the_service_stores(world, deal, defs):
    keys = ["amount", "expected_close_date", "source", "client.region", "client.inn", "cf:vip", "cf:languages",
            "client.cf:segment", "lines"]
    form = DealValuesForm({"amount": "1500.50", "expected_close_date": "2030-05-01", "source": world.source.pk,
                           "client.region": world.region.pk, "client.inn": "770123456789", "cf:vip": "false",
                           "cf:languages": ["de"], "client.cf:segment": "smb", "lines_product": world.product.pk,
                           "lines_quantity": "2", "lines_price": "",
                           "amount_from_lines": "on"}, keys=keys, deal=deal)  # the lines total replaces 1500.50
    assert form.is_valid(), form.errors
    update_deal(actor=world.owner, deal=deal, values=form.values())
    stored = Deal.objects.select_related("client").get(pk=deal.pk)
    registry = deal_fields()
    assert [registry.get(k).is_filled(stored) for k in keys] == [True] * len(keys)
    assert stored.amount == 2 * world.product.price  # the lines decide the amount
    assert (stored.custom, stored.client.custom) == ({"vip": False, "languages": ["de"]}, {"segment": "smb"})
    again = DealValuesForm(keys=keys, deal=stored)
    assert again.initial == {"amount": stored.amount, "expected_close_date": dt.date(2030, 5, 1),
                             "source": world.source.pk, "client.region": world.region.pk,
                             "client.inn": "770123456789", "cf:vip": "false", "cf:languages": ["de"],
                             "client.cf:segment": "smb"}


@pytest.mark.parametrize(("key", "raw"), [
    ("amount", "1e309"), ("amount", "1e26"), ("amount", "١٢٣"), ("expected_close_date", "2026-13-01"),
    ("source", "987654"), ("source", "²"), ("client.region", "987654"), ("client.inn", "١٢٣٤٥٦٧٨٩٠"),
    ("cf:budget", "1e309"), ("cf:volume", "1E+309"), ("client.cf:segment", "big"),
    ("lines", [{"product": "987654"}]),
])
def test_the_services_refuse_bad_input_with_the_key_and_write_nothing(world, deal, defs, key, raw):
    stage = add_stage(actor=world.admin, pipeline=world.pipeline, name="Всё заполнено", required_fields=[key])
    for call in (lambda: update_deal(actor=world.owner, deal=deal, values={key: raw}),
                 lambda: move_deal(actor=world.owner, deal=deal, stage=stage, values={key: raw}),
                 lambda: win_deal(actor=world.owner, deal=deal, amount=None if key == "amount" else "10",
                                  values={key: raw}),
                 lambda: make_deal(world.owner, world.pipeline, client=deal.client, values={key: raw})):
        with unchanged(), pytest.raises(DomainError) as exc:
            call()
        assert exc.value.field == key


def test_client_errors_from_update_client_are_named_by_the_registry_key(world, deal):
    other = make_client(world.owner, inn="7701234567")
    assert other.inn
    with unchanged(), pytest.raises(DomainError) as exc:
        update_deal(actor=world.owner, deal=deal, values={"client.inn": "12345"})
    assert exc.value.field == "client.inn"


def test_create_deal_takes_lines_among_its_values(world):
    deal = make_deal(world.owner, world.pipeline, values={"lines": [{"product": world.product.pk, "quantity": 3}]})
    assert Deal.objects.get(pk=deal.pk).amount == 3 * world.product.price
    assert deal.lines.count() == 1
