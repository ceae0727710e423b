"""Email templates: a fixed set of variables, checked at save; rendered without reaching anything else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_client
from voronka.core.errors import DomainError, Forbidden
from voronka.mailings.models import EmailTemplate
from voronka.mailings.services import create_template, preview_email, update_template

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body, message", [
    ("Hello {{ client.nmae }}", "Unknown variable"),
    ("{{ settings.SECRET_KEY }}", "Unknown variable"),
    ("{% load static %}x", "Template error"),
    ("{% if client.name %}x{% endif %}", "Only {{ variables }}"),
    ("{{ client.name|safe }}", "Filter not allowed"),
])
def test_a_template_with_anything_but_the_fixed_variables_is_refused_at_save(world, body, message):
    with pytest.raises(DomainError) as exc:
        create_template(actor=world.admin, name="X", subject="Hi", body=body)
    assert exc.value.field == "body" and message in exc.value.message
    assert not EmailTemplate.objects.exists()


def test_an_unknown_variable_in_the_subject_is_an_error_on_the_subject(world):
    with pytest.raises(DomainError) as exc:
        create_template(actor=world.admin, name="X", subject="{{ deal.secret }}", body="ok")
    assert exc.value.field == "subject"


def test_only_administrators_edit_templates(world):
    with pytest.raises(Forbidden):
        create_template(actor=world.owner, name="X", subject="Hi", body="ok")


def test_the_preview_fills_the_variables_of_the_client_and_the_sender(world, settings):
    settings.VORONKA_COMPANY_NAME = "ООО Воронка"
    world.owner.first_name, world.owner.last_name = "Иван", "Петров"
    world.owner.save()
    template = create_template(actor=world.admin, name="Привет", language="ru",
                               subject="{{ client.name|upper }}",
                               body="{{ contact.name }} / {{ manager.name }} / {{ company.name }} / "
                                    "{{ deal.title|default:'нет сделки' }}")
    client = make_client(world.owner, name="Альфа", email="alpha@example.com")
    preview = preview_email(actor=world.owner, template=template, client=client)
    assert preview["subject"] == "АЛЬФА"
    assert preview["body"] == "Альфа / Иван Петров / ООО Воронка / нет сделки"
    assert preview["to"] == "alpha@example.com"


def test_the_name_and_language_pair_is_unique(world):
    create_template(actor=world.admin, name="A", language="ru", subject="s", body="b")
    create_template(actor=world.admin, name="A", language="en", subject="s", body="b")
    with pytest.raises(DomainError) as exc:
        create_template(actor=world.admin, name="A", language="ru", subject="s", body="b")
    assert exc.value.field == "name"


def test_settings_create_and_edit_a_template_with_field_errors(world, client):
    client.force_login(world.admin)
    response = client.post(reverse("settings:mail_template_create"), {
        "name": "Welcome", "language": "en", "subject": "Hi {{ client.name }}", "body": "{{ nope }}",
        "is_active": "on"})
    assert response.status_code == 400 and "Unknown variable" in response.content.decode()
    response = client.post(reverse("settings:mail_template_create"), {
        "name": "Welcome", "language": "en", "subject": "Hi {{ client.name }}", "body": "Dear {{ contact.name }}",
        "is_active": "on"})
    assert response.status_code == 302
    template = EmailTemplate.objects.get(name="Welcome")
    response = client.post(reverse("settings:mail_template", args=[template.pk]), {
        "name": "Welcome", "language": "en", "subject": "Hello", "body": "Dear {{ contact.name }}"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.subject == "Hello" and not template.is_active
    assert "Welcome" in client.get(reverse("settings:mail_templates")).content.decode()


def test_managers_cannot_open_the_template_settings(world, client):
    client.force_login(world.owner)
    assert client.get(reverse("settings:mail_templates")).status_code == 403


def test_update_keeps_the_check(world):
    template = create_template(actor=world.admin, name="A", subject="s", body="b")
    with pytest.raises(DomainError):
        update_template(actor=world.admin, template=template, name="A", subject="s", body="{{ x }}", language="ru")


def test_the_template_list_runs_a_fixed_number_of_queries(world, client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.admin)
    for i in range(3):
        create_template(actor=world.admin, name=f"T{i}", subject="s", body="b")
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("settings:mail_templates"))
    for i in range(3, 13):
        create_template(actor=world.admin, name=f"T{i}", subject="s", body="b")
    with django_assert_num_queries(len(small.captured_queries)):
        page = client.get(reverse("settings:mail_templates")).content.decode()
    assert "T12" in page
