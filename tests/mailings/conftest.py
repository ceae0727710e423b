"""Helpers of the automation tests: every write dispatches its events (after commit) as the worker would."""

from __future__ import annotations

import pytest


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit():`` runs the on-commit callbacks (event dispatch, emails) of the writes inside."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def return_pipeline(world):
    from voronka.pipelines.services import add_stage, create_pipeline

    pipeline = create_pipeline(actor=world.system, name="Return", slug="return", kind="return")
    add_stage(actor=world.system, pipeline=pipeline, name="Клиент вернулся", slug="back")
    add_stage(actor=world.system, pipeline=pipeline, name="КП отправлено", slug="offer")
    return pipeline


@pytest.fixture
def templates(world):
    from voronka.mailings.services import create_template

    first = create_template(actor=world.admin, name="Мы скучаем", subject="{{ client.name }}, вернёмся к разговору?",
                            body="Здравствуйте, {{ contact.name }}!\nЕсли интересно: {{ link_url }}\n"
                                 "{{ manager.name }}, {{ company.name }}")
    second = create_template(actor=world.admin, name="Новое предложение", subject="Скидка для {{ client.name }}",
                             body="Подробнее: {{ link_url }}\nОтписаться: {{ unsubscribe_url }}")
    return first, second


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English messages (the installation's default language is Russian)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
