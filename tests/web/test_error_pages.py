"""403 / 404 / 500 pages in the product's layout, translated, with a way back; a quiet log; a favicon."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.test import RequestFactory

from tests.factories import make_deal
from voronka.web.errors import NoTracebackFor4xx, server_error

pytestmark = pytest.mark.django_db


def test_unknown_page_is_a_404_in_the_layout_with_a_way_back(client, world):
    client.force_login(world.owner)
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page"' in html and 'class="topbar"' in html
    assert 'href="/my-day/"' in html and "Страница не найдена" in html


def test_a_deal_outside_the_scope_is_a_404_page(client, world):
    deal = make_deal(world.outsider, world.pipeline)
    client.force_login(world.owner)
    response = client.get(f"/deals/{deal.pk}/")
    assert response.status_code == 404


def test_forbidden_is_a_403_page_in_english_for_an_english_user(client, world):
    world.analyst.language = "en"
    world.analyst.save()
    client.force_login(world.analyst)
    client.cookies["django_language"] = "en"
    response = client.get("/tasks/new/?deal=1")
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-testid="error-page"' in html and "Not allowed" in html and 'href="/my-day/"' in html


def test_anonymous_404_offers_sign_in(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and 'href="/login/"' in response.content.decode()


def test_500_page_needs_no_database_and_links_home():
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and 'href="/"' in html and "app.css" in html


def _console_handler() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers if any(isinstance(f, NoTracebackFor4xx) for f in h.filters))


def test_ordinary_404_and_403_are_one_line_in_the_log(client, world, caplog):
    handler = _console_handler()
    client.force_login(world.analyst)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/no-such-page/")
        client.get("/tasks/new/?deal=1")
    records = [r for r in caplog.records if r.name == "django.request"]
    assert {r.status_code for r in records} == {403, 404}
    for record in records:
        text = handler.format(record) if handler.filter(record) else ""
        assert "Traceback" not in text and text.count("\n") == 0, text


def test_a_5xx_record_keeps_its_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error", None,
                                   sys.exc_info())
    record.status_code = 500
    assert NoTracebackFor4xx().filter(record) and record.exc_info is not None


def test_start_creates_the_static_directory_so_whitenoise_does_not_warn(settings, tmp_path):
    settings.STATIC_ROOT = str(tmp_path / "static")
    apps.get_app_config("web").ready()
    assert (tmp_path / "static").is_dir()


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("/static/voronka/favicon.svg")
    assert client.get(response["Location"]).status_code == 200
