"""Helpers of the automation tests: every write dispatches its events (after commit) as the worker would."""

from __future__ import annotations

import pytest


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit():`` runs the on-commit callbacks (event dispatch, emails) of the writes inside."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


from tests.automation.processes import shared_db  # noqa: E402, F401  (fixture: a database a subprocess shares)
