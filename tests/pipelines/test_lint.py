"""Stage-name lint: a stage is named by a completed action, not by a state."""

from __future__ import annotations

import pytest

from voronka.pipelines.lint import lint_stage_name


@pytest.mark.parametrize("name", [
    "Переговоры", "Думает", "Отложено", "переговоры  ", "В работе", "Ожидание",
    "Negotiation", "Thinking", "Postponed", "negotiations", "In progress", "Ожидание оплаты",
])
def test_lint_stage_name_warns_on_a_state(name):
    warning = lint_stage_name(name)
    assert warning is not None
    assert name in warning


@pytest.mark.parametrize("name", [
    "Демо проведено", "КП отправлено", "Договор подписан", "Заявка получена", "Счёт оплачен",
    "Квалификация проведена", "Demo held", "Proposal sent", "Contract signed", "Invoice paid", "Проект начат",
])
def test_lint_stage_name_accepts_a_completed_action(name):
    assert lint_stage_name(name) is None


@pytest.mark.parametrize("name", ["", "   ", None])
def test_lint_stage_name_warns_on_an_empty_name(name):
    assert lint_stage_name(name)


def test_lint_stage_name_warns_when_no_action_is_named():
    assert lint_stage_name("Клиенты") is not None


def test_lint_warns_only_on_the_failing_stages():
    names = ["Заявка получена", "Переговоры", "Договор подписан", "Думает"]
    assert [name for name in names if lint_stage_name(name)] == ["Переговоры", "Думает"]
