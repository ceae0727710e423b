"""Settings views of custom fields and dictionaries: create/edit, validation as field errors, order, caps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_deal
from voronka.catalog.models import Campaign, CustomFieldDefinition, LostReason, Product, Source
from voronka.catalog.services import create_custom_field, make_key, update_custom_field
from voronka.core.errors import DomainError, Forbidden

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def _field(**overrides) -> dict:
    data = {"entity": "deal", "label": "Тариф", "key": "", "field_type": "choice",
            "choices": "basic|Базовый\nПремиум\n\n", "is_active": "on", "sort_order": ""}
    data.update(overrides)
    return data


# --- custom fields ----------------------------------------------------------------------------------------

def test_field_list_shows_deal_and_client_fields(admin_client, world):
    CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет", field_type="money")
    CustomFieldDefinition.objects.create(entity="client", key="site_cms", label="CMS сайта", field_type="text")
    html = admin_client.get(reverse("settings:fields")).content.decode()
    assert "Бюджет" in html and "CMS сайта" in html


def test_admin_creates_a_choice_field_parsing_value_label_lines(admin_client, world):
    response = admin_client.post(reverse("settings:field_create"), _field())
    assert response.status_code == 302
    definition = CustomFieldDefinition.objects.get(entity="deal", label="Тариф")
    assert definition.key == "tarif"
    assert definition.choices == [{"value": "basic", "label": "Базовый"}, {"value": "premium", "label": "Премиум"}]
    assert definition.is_active


def test_choice_field_without_choices_is_a_field_error(admin_client, world):
    response = admin_client.post(reverse("settings:field_create"), _field(choices=" \n "))
    assert response.status_code == 400
    assert "choices" in response.context["form"].errors
    assert not CustomFieldDefinition.objects.filter(label="Тариф").exists()


def test_choice_error_in_a_dialog_comes_back_as_a_dialog_with_200(admin_client, world):
    response = admin_client.post(reverse("settings:field_create"), _field(field_type="multichoice", choices=""),
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<dialog" in html and "errorlist" in html


def test_duplicate_key_is_a_field_error(admin_client, world):
    admin_client.post(reverse("settings:field_create"), _field(key="plan"))
    response = admin_client.post(reverse("settings:field_create"), _field(key="plan", label="Другой"))
    assert response.status_code == 400
    assert "key" in response.context["form"].errors


def test_same_key_is_allowed_for_the_other_entity(admin_client, world):
    admin_client.post(reverse("settings:field_create"), _field(key="plan"))
    response = admin_client.post(reverse("settings:field_create"), _field(key="plan", entity="client"))
    assert response.status_code == 302


@pytest.mark.parametrize("overrides, field", [
    ({"key": "Bad Key!"}, "key"), ({"key": "1abc"}, "key"), ({"label": ""}, "label"),
    ({"field_type": "nonsense"}, "field_type"), ({"entity": "planet"}, "entity"),
    ({"choices": "a|A\na|B"}, "choices"), ({"sort_order": "-5"}, "sort_order"),
])
def test_bad_field_input_is_a_field_error(admin_client, world, overrides, field):
    response = admin_client.post(reverse("settings:field_create"), _field(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors


def test_admin_edits_a_field_but_not_its_key(admin_client, world):
    definition = CustomFieldDefinition.objects.create(entity="deal", key="budget", label="Бюджет",
                                                      field_type="money")
    response = admin_client.post(reverse("settings:field", args=[definition.pk]),
                                 {"label": "Бюджет, руб.", "field_type": "number", "key": "hacked",
                                  "sort_order": "7", "choices": ""})
    assert response.status_code == 302
    definition.refresh_from_db()
    assert (definition.label, definition.field_type, definition.key, definition.is_active, definition.sort_order) \
        == ("Бюджет, руб.", "number", "budget", False, 7)


def test_edit_form_shows_choices_as_value_label_lines(admin_client, world):
    definition = CustomFieldDefinition.objects.create(entity="deal", key="tier", label="Тир", field_type="choice",
                                                      choices=[{"value": "a", "label": "А"}])
    html = admin_client.get(reverse("settings:field", args=[definition.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "<dialog" in html and "a|А" in html


def test_type_of_a_field_with_stored_values_cannot_change(world):
    definition = create_custom_field(actor=world.admin, entity="deal", key="budget", label="Бюджет",
                                     field_type="text")
    make_deal(world.owner, world.pipeline, values={"cf:budget": "много"})
    with pytest.raises(DomainError) as err:
        update_custom_field(actor=world.admin, definition=definition, label="Бюджет", field_type="number")
    assert err.value.field == "field_type"


def test_custom_field_services_are_for_admins_only(world):
    with pytest.raises(Forbidden):
        create_custom_field(actor=world.head, entity="deal", label="X", field_type="text")


def test_unknown_field_is_404(admin_client, world):
    assert admin_client.get(reverse("settings:field", args=[777])).status_code == 404


def test_make_key_transliterates():
    assert make_key("Выручка в год") == "vyruchka_v_god"
    assert make_key("2024 plan") == "f_2024_plan"
    assert make_key("!!!") == ""


# --- dictionaries -----------------------------------------------------------------------------------------

def test_dictionary_index_lists_every_kind(admin_client, world):
    html = admin_client.get(reverse("settings:dictionaries")).content.decode()
    for kind in ("sources", "channels", "regions", "industries", "target-audiences", "lost-reasons", "products",
                 "campaigns"):
        assert reverse("settings:dictionary", args=[kind]) in html


def test_unknown_dictionary_is_404(admin_client, world):
    assert admin_client.get(reverse("settings:dictionary", args=["planets"])).status_code == 404
    assert admin_client.get(reverse("settings:dictionary_item", args=["planets", 1])).status_code == 404


def test_item_of_another_dictionary_is_404(admin_client, world):
    url = reverse("settings:dictionary_item", args=["channels", world.source.pk + 1000])
    assert admin_client.get(url).status_code == 404


def test_admin_adds_renames_and_deactivates_a_source(admin_client, world):
    url = reverse("settings:dictionary", args=["sources"])
    assert admin_client.post(url, {"new-name": "  Выставка   2026 "}).status_code == 302
    item = Source.objects.get(name="Выставка 2026")
    assert item.is_active and item.sort_order > world.source.sort_order
    response = admin_client.post(reverse("settings:dictionary_item", args=["sources", item.pk]),
                                 {"name": "Выставка", "is_active": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == url
    item.refresh_from_db()
    assert (item.name, item.is_active) == ("Выставка", False)
    admin_client.post(reverse("settings:dictionary_item_toggle", args=["sources", item.pk]))
    item.refresh_from_db()
    assert item.is_active


def test_duplicate_dictionary_name_is_a_field_error(admin_client, world):
    response = admin_client.post(reverse("settings:dictionary", args=["sources"]), {"new-name": "сайт"})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors


def test_product_price_and_currency_are_checked(admin_client, world):
    url = reverse("settings:dictionary", args=["products"])
    response = admin_client.post(url, {"new-name": "Лицензия", "new-price": "-1", "new-currency": "RUB"})
    assert response.status_code == 400 and "price" in response.context["form"].errors
    response = admin_client.post(url, {"new-name": "Лицензия", "new-price": "abc", "new-currency": "RUB"})
    assert response.status_code == 400 and "price" in response.context["form"].errors
    response = admin_client.post(url, {"new-name": "Лицензия", "new-price": "1500.50", "new-currency": "1$a"})
    assert response.status_code == 400 and "currency" in response.context["form"].errors
    response = admin_client.post(url, {"new-name": "Лицензия", "new-sku": "LIC-1", "new-price": "1500.50",
                                       "new-currency": "usd"})
    assert response.status_code == 302
    product = Product.objects.get(name="Лицензия")
    assert (product.price, product.currency, product.sku) == (Decimal("1500.50"), "USD", "LIC-1")


def test_campaign_with_cost_and_dates(admin_client, world):
    url = reverse("settings:dictionary", args=["campaigns"])
    bad = admin_client.post(url, {"new-name": "Весна", "new-cost": "1000", "new-starts_on": "2026-05-01",
                                  "new-ends_on": "2026-04-01"})
    assert bad.status_code == 400 and "ends_on" in bad.context["form"].errors
    bad = admin_client.post(url, {"new-name": "Весна", "new-cost": "1000", "new-starts_on": "31.31.2026"})
    assert bad.status_code == 400 and "starts_on" in bad.context["form"].errors
    ok = admin_client.post(url, {"new-name": "Весна", "new-cost": "1000", "new-source": world.source.pk,
                                 "new-starts_on": "2026-03-01", "new-ends_on": "2026-05-31"})
    assert ok.status_code == 302
    campaign = Campaign.objects.get(name="Весна")
    assert (campaign.cost, campaign.source, campaign.starts_on) == (Decimal("1000"), world.source,
                                                                    dt.date(2026, 3, 1))


def test_up_down_and_drag_reorder_a_dictionary(admin_client, world):
    reasons = [world.reason] + [LostReason.objects.create(name=f"Причина {i}", sort_order=i + 1) for i in range(2)]
    ids = [r.pk for r in reasons]
    admin_client.post(reverse("settings:dictionary_item_move", args=["lost-reasons", ids[2]]), {"direction": "up"})
    assert list(LostReason.objects.order_by("sort_order", "name", "id").values_list("pk", flat=True)) == \
        [ids[0], ids[2], ids[1]]
    response = admin_client.post(reverse("settings:dictionary_reorder", args=["lost-reasons"]),
                                 {"order": f"{ids[1]},{ids[0]},{ids[2]}"}, HTTP_HX_REQUEST="true", follow=True)
    assert response.status_code == 200
    assert 'id="dict-table"' in response.content.decode()
    assert list(LostReason.objects.order_by("sort_order").values_list("pk", flat=True)) == [ids[1], ids[0], ids[2]]


@pytest.mark.parametrize("order", ["", "0", "x,y", "999999", "{pk},{pk}"])
def test_bad_dictionary_order_is_a_message(admin_client, world, order):
    Source.objects.create(name="Второй")
    order = order.format(pk=world.source.pk)
    response = admin_client.post(reverse("settings:dictionary_reorder", args=["sources"]), {"order": order},
                                 follow=True)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_dictionary_and_field_lists_run_a_fixed_number_of_queries(admin_client, world):
    channel = world.channel
    for i in range(3):
        Campaign.objects.create(name=f"C{i}", source=world.source, channel=channel, cost=10)
        CustomFieldDefinition.objects.create(entity="deal", key=f"k{i}", label=f"K{i}", field_type="text")
    urls = [reverse("settings:dictionary", args=["campaigns"]), reverse("settings:fields"),
            reverse("settings:dictionaries")]
    few = [_count(admin_client, u) for u in urls]
    for i in range(3, 10):
        Campaign.objects.create(name=f"C{i}", source=Source.objects.create(name=f"S{i}"), channel=channel, cost=10)
        CustomFieldDefinition.objects.create(entity="deal", key=f"k{i}", label=f"K{i}", field_type="choice",
                                             choices=[{"value": "a", "label": "A"}])
    assert [_count(admin_client, u) for u in urls] == few
