"""The snippet's script voronka-form.js: served as a static file, and the JSON answers it reads from the
hosted page (posted as the script posts: FormData with ``Accept: application/json``, any origin)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import Client as HttpClient

from tests.integrations.test_forms import _post
from voronka.deals.models import Deal
from voronka.integrations.leadforms import save_lead_form
from voronka.integrations.models import FormSubmission


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def form(world):
    return save_lead_form(actor=world.admin, slug="site", title="Заявка с сайта", pipeline=world.pipeline,
                          assign_mode="fixed", assignee=world.owner, source=world.source)


def test_the_script_is_a_static_file_with_its_version_and_license():
    path = finders.find("integrations/voronka-form.js")
    assert path is not None
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("/*! voronka-form.js 1.0.0") and "license" in text
    assert 'headers: { Accept: "application/json" }' in text and "data-voronka-form" in text


def test_a_json_post_answers_ok_with_the_thanks_for_any_origin(world, form):
    response = _post(HttpClient(), {"name": "Ирина", "phone": "+79161234567"}, HTTP_ACCEPT="application/json",
                     HTTP_ORIGIN="https://site.example", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    body = json.loads(response.content)
    assert body["ok"] is True and body["message"]
    assert Deal.objects.filter(client__name="Ирина").count() == 1


def test_a_refused_json_post_names_the_field_and_writes_no_deal(world, form):
    response = _post(HttpClient(), {"name": "", "phone": ""}, HTTP_ACCEPT="application/json")
    body = json.loads(response.content)
    assert 400 <= response.status_code < 500 and body["ok"] is False and body["message"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert Deal.objects.count() == 0 and FormSubmission.objects.filter(status="rejected").count() == 1


def test_a_bot_gets_the_same_ok_and_nothing_is_created(world, form):
    response = _post(HttpClient(), {"name": "Бот", "phone": "+79160000006", "website": "spam"},
                     HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and json.loads(response.content)["ok"] is True
    assert Deal.objects.count() == 0
