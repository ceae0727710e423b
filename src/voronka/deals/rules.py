"""Required-field rules of stages, evaluated against a deal through the field registry (``catalog.fields``)."""

from __future__ import annotations

from collections.abc import Callable

from voronka.catalog.fields import FieldRegistry, deal_fields
from voronka.clients.selectors import (
    question_id_from_key,
    question_key,
    question_texts,
    unanswered_question_ids,
)
from voronka.pipelines.models import Stage
from voronka.pipelines.selectors import required_question_ids

# Rules of stages that other apps add (billing: "the invoice is paid"), registered in their AppConfig.ready so
# deals imports none of them. A rule is called with the deal and the stages a move (or a win) passes and raises
# a DomainError naming itself when the deal does not meet it.
StageRule = Callable[..., None]
_stage_rules: list[StageRule] = []


def register_stage_rule(rule: StageRule) -> StageRule:
    if rule not in _stage_rules:
        _stage_rules.append(rule)
    return rule


def check_stage_rules(deal, stages: list[Stage]) -> None:
    """Run every registered stage rule on the stages a move or a win passes (no query without rules)."""
    for rule in _stage_rules:
        rule(deal, stages)


def is_filled(deal, key: str, registry: FieldRegistry | None = None) -> bool:
    """Whether the deal has ``key`` filled; a key of no active field never counts as empty. A ``q:<id>`` key
    is filled when the deal's client has answered that qualification question."""
    question_id = question_id_from_key(key)
    if question_id is not None:
        return not unanswered_question_ids(client=deal.client, question_ids=[question_id])
    spec = (registry or deal_fields()).get(key)
    return spec is None or spec.is_filled(deal)


def required_keys(stage: Stage) -> list[str]:
    """What entering ``stage`` requires: its required fields, then ``q:<id>`` for each question it requires
    its client to have answered."""
    return [*(stage.required_fields or []), *map(question_key, required_question_ids(stage))]


def missing_required_fields(deal, stage: Stage, registry: FieldRegistry | None = None) -> list[str]:
    """Keys of what the stage requires that the deal leaves empty, in the stage's order."""
    return missing_fields(deal, required_keys(stage), registry)


def labels_for(keys: list[str], registry: FieldRegistry | None = None) -> list[str]:
    """Labels of the keys, in their order: a question's text for ``q:<id>``, the registry's label otherwise."""
    question_ids = [qid for qid in map(question_id_from_key, keys) if qid is not None]
    texts = question_texts(question_ids) if question_ids else {}
    other = iter((registry or deal_fields()).labels([k for k in keys if question_id_from_key(k) is None]))
    return [texts.get(qid, key) if (qid := question_id_from_key(key)) is not None else next(other) for key in keys]


def _active_stages(deal, target: Stage | None = None) -> list[Stage]:
    """The target's (else the deal's) pipeline stages in the current order, archived ones left out (the target
    always counts)."""
    pipeline_id = target.pipeline_id if target is not None else deal.pipeline_id
    stages = sorted(Stage.objects.filter(pipeline_id=pipeline_id), key=lambda s: (s.position, s.pk))
    return [s for s in stages if not getattr(s, "is_archived", False) or (target is not None and s.pk == target.pk)]


def _union(stages: list[Stage]) -> list[str]:
    return list(dict.fromkeys(key for stage in stages for key in required_keys(stage)))


def stages_passed(deal, target: Stage, *, created: bool = False) -> list[Stage]:
    """The stages a move to ``target`` counts as passed, in pipeline order, ``target`` last.

    A skipped stage counts as passed in the funnel (DESIGN.md §5), so a forward move passes every stage after
    the current one up to the target; a new deal (``created``) passes every stage up to the one it is
    created on; a backward move (or a reopen on the same stage) passes only the target.
    """
    stages = _active_stages(deal, target)
    ids = [s.pk for s in stages]
    if target.pk not in ids:
        return [target]
    end = ids.index(target.pk)
    current = None if created else deal.stage_id
    if current is None:
        start = 0
    elif current in ids:
        start = ids.index(current) + 1
        if start > end:
            return [target]
    else:
        return [target]
    return stages[start:end + 1]


def fields_required_for_move(deal, target_stage: Stage, *, created: bool = False) -> list[str]:
    """The union of the required fields of every stage a move to ``target_stage`` passes, in pipeline order."""
    return _union(stages_passed(deal, target_stage, created=created))


def stages_left(deal) -> list[Stage]:
    """The current stage and every later one: what a win counts as passed."""
    stages = _active_stages(deal, deal.stage)
    ids = [s.pk for s in stages]
    start = ids.index(deal.stage_id) if deal.stage_id in ids else 0
    return stages[start:]


def fields_required_for_win(deal) -> list[str]:
    """A win from any stage counts every remaining stage as passed: the union of the required fields of the
    current stage and of every later one, in pipeline order."""
    return _union(stages_left(deal))


def missing_fields(deal, keys: list[str], registry: FieldRegistry | None = None) -> list[str]:
    """The keys (in their order) that the deal leaves empty; questions are checked in one query."""
    question_ids = [qid for qid in map(question_id_from_key, keys) if qid is not None]
    unanswered = set(unanswered_question_ids(client=deal.client, question_ids=question_ids)) if question_ids else set()
    empty = set((registry or deal_fields()).missing(deal, [k for k in keys if question_id_from_key(k) is None]))
    return [key for key in keys if key in empty or question_id_from_key(key) in unanswered]
