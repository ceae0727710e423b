"""Settings › Web forms: administrators only; create, edit, the snippet, the submission log, query caps;
the snippet's stamp endpoint."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from voronka.deals.models import Deal
from voronka.integrations.leadforms import save_lead_form
from voronka.integrations.models import FormSubmission, LeadForm


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def _data(world, **overrides) -> dict:
    return {"slug": "landing", "title": "Лендинг", "pipeline": world.pipeline.pk, "fields": ["name", "phone"],
            "source": world.source.pk, "assign_mode": "fixed", "assignee": world.owner.pk, "team": "",
            "task_title": "Перезвонить", "is_active": "on", **overrides}


def test_admin_creates_and_edits_a_form(admin_client, world):
    response = admin_client.post(reverse("settings:lead_form_create"), _data(world))
    form = LeadForm.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("settings:lead_form", args=[form.pk])
    assert (form.slug, form.fields, form.assignee, form.task_title) == ("landing", ["name", "phone"], world.owner,
                                                                        "Перезвонить")
    html = admin_client.get(response["Location"]).content.decode()
    assert 'id="form-snippet"' in html and "/forms/landing/token" in html
    # The snippet loads the served script (no inline script to paste) and marks the form for it.
    assert "/static/integrations/voronka-form.js" in html and "data-voronka-form" in html
    assert "&lt;script&gt;" not in html
    response = admin_client.post(reverse("settings:lead_form_edit", args=[form.pk]),
                                 _data(world, slug="other", assign_mode="round_robin", assignee="",
                                       team=world.team.pk))
    assert response.status_code == 302
    form.refresh_from_db()
    assert (form.slug, form.assign_mode, form.team, form.assignee) == ("landing", "round_robin", world.team, None)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"fields": ["name", "comment"]}, "fields"),
    ({"assignee": ""}, "assignee"),
    ({"assign_mode": "round_robin", "team": ""}, "team"),
])
def test_bad_definitions_are_field_errors(admin_client, world, overrides, field):
    response = admin_client.post(reverse("settings:lead_form_create"), _data(world, **overrides))
    assert response.status_code == 400
    assert f'id="id_{field}"' in response.content.decode() or field in response.content.decode()
    assert 'class="field field-error"' in response.content.decode()
    assert not LeadForm.objects.exists()


def test_a_taken_slug_is_refused(admin_client, world):
    admin_client.post(reverse("settings:lead_form_create"), _data(world))
    response = admin_client.post(reverse("settings:lead_form_create"), _data(world, title="Другой"))
    assert response.status_code == 400 and LeadForm.objects.get().title == "Лендинг"


@pytest.mark.parametrize("who", ["owner", "lead", "head", "analyst"])
def test_nobody_but_admins_opens_the_form_settings(client, world, who):
    form = save_lead_form(actor=world.admin, slug="x", title="X", pipeline=world.pipeline, assign_mode="fixed",
                          assignee=world.owner)
    client.force_login(getattr(world, who))
    for method, url in [("get", reverse("settings:lead_forms")), ("get", reverse("settings:lead_form_create")),
                        ("post", reverse("settings:lead_form_create")), ("get", reverse("settings:lead_form",
                                                                                          args=[form.pk])),
                        ("get", reverse("settings:lead_form_edit", args=[form.pk])),
                        ("post", reverse("settings:lead_form_edit", args=[form.pk]))]:
        response = getattr(client, method)(url, _data(world) if method == "post" else {})
        assert response.status_code in (403, 404), (who, url)
    assert LeadForm.objects.get().title == "X"


def test_the_snippet_flow_fetches_a_stamp_and_posts(world, settings):
    settings.VORONKA_FORM_MIN_FILL_SECONDS = 0
    save_lead_form(actor=world.admin, slug="x", title="X", pipeline=world.pipeline, assign_mode="fixed",
                   assignee=world.owner)
    http = HttpClient()
    response = http.get("/forms/x/token")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    token = response.json()["token"]
    response = http.post("/forms/x/", {"name": "Анна", "phone": "+79164440001", "form_token": token,
                                       "utm_source": "google", "referrer": "https://site.example/price"})
    assert response.status_code == 200
    submission = FormSubmission.objects.get()
    assert submission.deal == Deal.objects.get() and submission.referrer == "https://site.example/price"
    assert submission.utm == {"utm_source": "google"}


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_and_the_log_run_a_fixed_number_of_queries(admin_client, world, settings):
    settings.VORONKA_FORM_MIN_FILL_SECONDS = 0
    settings.VORONKA_FORM_RATE_PER_MINUTE = 0

    def add(start: int, n: int) -> None:
        for i in range(start, start + n):
            save_lead_form(actor=world.admin, slug=f"f{i}", title=f"F{i}", pipeline=world.pipeline,
                           assign_mode="round_robin", team=world.team, source=world.source)

    def post(n: int) -> None:
        http = HttpClient()
        for i in range(n):
            token = http.get("/forms/f0/token").json()["token"]
            http.post("/forms/f0/", {"name": f"К{i}", "phone": f"+791655500{i:02d}", "form_token": token})

    add(0, 3)
    post(3)
    form = LeadForm.objects.get(slug="f0")
    few_list = _count(admin_client, reverse("settings:lead_forms"))
    few_log = _count(admin_client, reverse("settings:lead_form", args=[form.pk]))
    add(3, 7)
    post(8)
    assert FormSubmission.objects.filter(form=form).count() == 11
    assert _count(admin_client, reverse("settings:lead_forms")) == few_list
    assert _count(admin_client, reverse("settings:lead_form", args=[form.pk])) == few_log


def test_the_edit_dialogs_open_filled_in(admin_client, world):
    form = save_lead_form(actor=world.admin, slug="landing", title="Лендинг", pipeline=world.pipeline,
                          assign_mode="fixed", assignee=world.owner, task_title="Перезвонить")
    html = admin_client.get(reverse("settings:lead_form_edit", args=[form.pk])).content.decode()
    assert 'value="Лендинг"' in html and 'value="Перезвонить"' in html
    assert f'<option value="{world.owner.pk}" selected>' in html
