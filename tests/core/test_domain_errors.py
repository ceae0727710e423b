"""One mapping of domain errors to HTTP (middleware), one form helper, one get-or-404."""

from __future__ import annotations

import pytest
from django import forms
from django.http import Http404

from voronka.core.errors import DomainError, MissingFields, NotFound
from voronka.core.forms import apply_domain_error
from voronka.core.http import get_or_404

pytestmark = pytest.mark.urls("tests.core.error_urls")

STATUSES = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 400, "missing": 400}


@pytest.fixture
def signed_in(client, world):
    client.force_login(world.owner)
    return client


@pytest.mark.parametrize("kind", sorted(STATUSES))
def test_an_uncaught_domain_error_is_a_page_with_its_status_not_a_500(signed_in, kind):
    response = signed_in.get(f"/boom/{kind}/")
    assert response.status_code == STATUSES[kind]
    assert "core/error.html" in [t.name for t in response.templates]
    assert response.context["message"]


def test_htmx_gets_the_message_as_a_dialog_in_the_message_area(signed_in):
    response = signed_in.get("/boom/forbidden/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert (response["HX-Retarget"], response["HX-Reswap"], response["X-Voronka-Status"]) == (
        "#modal-root", "innerHTML", "403")
    assert "Нет прав на эту сделку." in response.content.decode()
    assert "<dialog" in response.content.decode()


@pytest.mark.parametrize("kind", sorted(STATUSES))
def test_api_paths_get_rfc9457_problem_json(signed_in, kind):
    response = signed_in.get(f"/api/v1/boom/{kind}/")
    assert response.status_code == STATUSES[kind]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "code", "field"} <= set(body)
    assert body["status"] == STATUSES[kind] and body["type"].startswith("urn:voronka:problem:")


def test_problem_json_carries_code_and_fields(signed_in):
    body = signed_in.get("/api/v1/boom/missing/").json()
    assert (body["detail"], body["code"], body["field"], body["fields"]) == (
        "Заполните поля.", "required_fields_missing", "amount", ["amount", "source"])
    assert signed_in.get("/api/v1/boom/conflict/").json()["title"] == "Conflict"


def test_other_exceptions_are_not_swallowed(signed_in):
    with pytest.raises(ValueError):
        signed_in.get("/boom/other/")


class _Form(forms.Form):
    amount = forms.CharField(required=False)
    source = forms.CharField(required=False)


def test_apply_domain_error_puts_the_message_on_the_named_field():
    form = _Form({})
    form.is_valid()
    apply_domain_error(form, DomainError("Неверная сумма.", field="amount"))
    assert form.errors == {"amount": ["Неверная сумма."]}


def test_apply_domain_error_marks_every_missing_field_and_keeps_unknown_fields_as_form_errors():
    form = _Form({})
    form.is_valid()
    apply_domain_error(form, MissingFields("Заполните поля.", field="amount", fields=["amount", "source", "lines"]))
    assert form.errors == {"amount": ["Заполните поля."], "source": ["Заполните поля."]}
    filled = _Form({"source": "Сайт"})
    filled.is_valid()
    apply_domain_error(filled, MissingFields("Заполните поля.", field="amount", fields=["amount", "source"]))
    assert filled.errors == {"amount": ["Заполните поля."]}  # what the user filled in is not marked
    other = _Form({})
    other.is_valid()
    apply_domain_error(other, DomainError("Клиент в архиве.", field="client"))
    assert other.non_field_errors() == ["Клиент в архиве."]


def test_apply_domain_error_maps_service_keys_to_form_fields():
    form = _Form({})
    form.is_valid()
    apply_domain_error(form, DomainError("Неверно.", field="deal_amount"),
                       field_for=lambda key: key.removeprefix("deal_"))
    assert form.errors == {"amount": ["Неверно."]}


def test_get_or_404_turns_a_selectors_not_found_into_django_404():
    def selector(*, pk):
        if pk != 1:
            raise NotFound("Нет такой.")
        return "found"

    assert get_or_404(selector, pk=1) == "found"
    with pytest.raises(Http404):
        get_or_404(selector, pk=2)
