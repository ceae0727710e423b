"""Web forms asking for custom fields (``cf:*`` on the deal, ``client.cf:*`` on the client, from the field
registry): validated by the registry's parse, stored through the deals service; through ``/forms/<slug>/``."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from django.urls import reverse

from tests.integrations.test_forms import _post
from voronka.catalog.services import create_custom_field
from voronka.core.errors import DomainError
from voronka.deals.models import Deal
from voronka.integrations.leadforms import save_lead_form
from voronka.integrations.models import FormSubmission, SubmissionStatus


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def custom_form(world):
    create_custom_field(actor=world.admin, entity="deal", key="budget", label="Бюджет", field_type="money")
    create_custom_field(actor=world.admin, entity="client", key="site", label="Сайт", field_type="text")
    create_custom_field(actor=world.admin, entity="deal", key="start", label="Начало", field_type="date")
    return save_lead_form(actor=world.admin, slug="site", title="Заявка", pipeline=world.pipeline,
                          fields=["name", "phone", "cf:budget", "client.cf:site", "cf:start"],
                          assign_mode="fixed", assignee=world.owner)


def test_custom_values_land_on_the_deal_and_the_client(world, custom_form):
    http = HttpClient()
    html = http.get("/forms/site/").content.decode()
    assert 'name="cf:budget"' in html and "Бюджет" in html and 'name="client.cf:site"' in html
    response = _post(http, {"name": "Олег", "phone": "+7 916 000-11-22", "cf:budget": "150 000,50",
                            "client.cf:site": "https://oleg.example", "cf:start": "2027-01-15"})
    assert response.status_code == 200 and 'id="form-thanks"' in response.content.decode()
    deal = Deal.objects.select_related("client").get()
    assert deal.custom == {"budget": "150000.50", "start": "2027-01-15"}
    assert deal.client.custom == {"site": "https://oleg.example"}
    # Empty custom answers are fine (not required) and store nothing.
    response = _post(http, {"name": "Анна", "phone": "+7 916 000-33-44"})
    assert response.status_code == 200
    assert Deal.objects.order_by("-id").first().custom == {}


@pytest.mark.parametrize(("key", "value"), [("cf:budget", "много"), ("cf:budget", "-5"), ("cf:start", "завтра")])
def test_a_bad_custom_value_is_a_field_error_and_nothing_is_created(world, custom_form, key, value):
    response = _post(HttpClient(), {"name": "Олег", "phone": "+7 916 000-11-22", key: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field field-error"' in html and f'id="id_{key}"' in html
    assert not Deal.objects.exists()
    assert FormSubmission.objects.get().status == SubmissionStatus.REJECTED


def test_only_active_registry_fields_can_be_asked(world, custom_form):
    with pytest.raises(DomainError) as exc:
        save_lead_form(actor=world.admin, slug="other", title="X", pipeline=world.pipeline,
                       fields=["name", "phone", "cf:nope"], assign_mode="fixed", assignee=world.owner)
    assert exc.value.field == "fields"
    http = HttpClient()
    http.force_login(world.admin)
    html = http.get(reverse("settings:lead_form_create")).content.decode()
    assert 'value="cf:budget"' in html and 'value="client.cf:site"' in html
