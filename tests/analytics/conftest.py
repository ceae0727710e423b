"""One generated history per test module (building it through the services takes seconds)."""

import pytest
from django.db import transaction

from tests.analytics.history import build_history
from tests.factories import build_world


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    """Built once in an outer transaction that is rolled back after the module; tests only read it."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_history(build_world(), seed=7, deals=70)
        yield built
        transaction.set_rollback(True)
