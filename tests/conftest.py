"""Shared fixtures: the cast (owner, teammate, outsider, lead, head, admin) and the sales set-up."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from tests.factories import SalesWorld, build_world


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "")
    return f"voronka database: {'postgresql' if url.startswith('postgres') else 'sqlite'}"


@pytest.fixture(autouse=True, scope="session")
def _require_postgres(django_db_setup, django_db_blocker):
    """CI sets VORONKA_REQUIRE_POSTGRES=1: then the suite must really run on PostgreSQL."""
    if os.environ.get("VORONKA_REQUIRE_POSTGRES") == "1":
        with django_db_blocker.unblock():
            if connection.vendor != "postgresql":
                pytest.exit("VORONKA_REQUIRE_POSTGRES=1 but the database is " + connection.vendor, returncode=3)


@pytest.fixture
def world(db) -> SalesWorld:
    return build_world()


@pytest.fixture
def owner(world):
    return world.owner


@pytest.fixture
def teammate(world):
    return world.teammate


@pytest.fixture
def outsider(world):
    return world.outsider


@pytest.fixture
def pipeline(world):
    return world.pipeline


@pytest.fixture
def smtp_server(settings):
    """A real local SMTP server; Django's mail goes to it for the test."""
    from tests.support.smtp import SmtpServer

    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield server
