"""A bounded schemathesis run against our own OpenAPI schema, in-process (WSGI): no 5xx, every answer's status,
content type and body as documented. ``VORONKA_SCHEMATHESIS_EXAMPLES`` (default 5) sets examples per operation."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.factories import make_deal
from voronka.accounts.services import create_api_token
from voronka.api.urls import api as ninja_api

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_dict(ninja_api.get_openapi_schema())
schema.app = get_wsgi_application()
EXAMPLES = int(os.environ.get("VORONKA_SCHEMATHESIS_EXAMPLES", "5"))


@pytest.fixture
def bearer(world):
    make_deal(world.owner, world.pipeline)  # something to find: ids 1, 2 ... exist for the generated paths
    _token, raw = create_api_token(actor=world.lead, name="schemathesis", scope="write")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.VORONKA_API_RATE_PER_MINUTE = 0


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the connection after each request; the test's transaction lives on it (Django's
    own test client disconnects the same signal)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, bearer):
    # Business rules refuse schema-valid requests (an unknown id, a stage's required fields, a cursor that is
    # not ours) with a 4xx problem: that is correct, so "positive data must be accepted" is left out.
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
