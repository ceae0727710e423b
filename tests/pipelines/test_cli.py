"""`voronka pipeline lint`: clean on the blueprints, exit 1 under --strict once a state-named stage appears."""

from __future__ import annotations

import pytest

from voronka.accounts.services import get_system_actor
from voronka.cli import main
from voronka.demo.bootstrap import install_defaults
from voronka.pipelines.models import Pipeline
from voronka.pipelines.services import add_stage

pytestmark = pytest.mark.django_db


def test_pipeline_lint_passes_on_the_blueprints(capsys):
    install_defaults(language="ru")
    assert main(["pipeline", "lint", "--strict"]) == 0
    assert "0 warning(s)" in capsys.readouterr().out


def test_pipeline_lint_strict_fails_after_a_stage_named_by_a_state(capsys):
    install_defaults(language="ru")
    inbound = Pipeline.objects.get(slug="inbound")
    add_stage(actor=get_system_actor(), pipeline=inbound, name="Переговоры", slug="talks")
    capsys.readouterr()

    assert main(["pipeline", "lint", "--strict"]) == 1
    out = capsys.readouterr().out
    assert "inbound/talks" in out and "Переговоры" in out
    assert "1 warning(s)" in out


def test_pipeline_lint_without_strict_reports_but_exits_0(capsys):
    install_defaults(language="en")
    add_stage(actor=get_system_actor(), pipeline=Pipeline.objects.get(slug="outreach"), name="Thinking", slug="thinking")
    assert main(["pipeline", "lint"]) == 0
    assert "outreach/thinking" in capsys.readouterr().out


def test_pipeline_lint_can_check_one_pipeline(capsys):
    install_defaults(language="ru")
    add_stage(actor=get_system_actor(), pipeline=Pipeline.objects.get(slug="inbound"), name="Думает", slug="thinks")
    assert main(["pipeline", "lint", "--strict", "outreach"]) == 0
    assert main(["pipeline", "lint", "--strict", "inbound"]) == 1
