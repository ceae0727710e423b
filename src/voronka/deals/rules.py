"""Required-field rules of stages, evaluated against a deal through the field registry (``catalog.fields``)."""

from __future__ import annotations

from voronka.catalog.fields import FieldRegistry, deal_fields
from voronka.pipelines.models import Stage


def is_filled(deal, key: str, registry: FieldRegistry | None = None) -> bool:
    """Whether the deal has ``key`` filled; a key of no active field never counts as empty."""
    spec = (registry or deal_fields()).get(key)
    return spec is None or spec.is_filled(deal)


def missing_required_fields(deal, stage: Stage, registry: FieldRegistry | None = None) -> list[str]:
    """Keys of the stage's required fields that the deal leaves empty, in the stage's order."""
    return (registry or deal_fields()).missing(deal, list(stage.required_fields or []))


def labels_for(keys: list[str], registry: FieldRegistry | None = None) -> list[str]:
    return (registry or deal_fields()).labels(keys)


def _active_stages(deal, target: Stage | None = None) -> list[Stage]:
    """The target's (else the deal's) pipeline stages in the current order, archived ones left out (the target
    always counts)."""
    pipeline_id = target.pipeline_id if target is not None else deal.pipeline_id
    stages = sorted(Stage.objects.filter(pipeline_id=pipeline_id), key=lambda s: (s.position, s.pk))
    return [s for s in stages if not getattr(s, "is_archived", False) or (target is not None and s.pk == target.pk)]


def _union(stages: list[Stage]) -> list[str]:
    return list(dict.fromkeys(key for stage in stages for key in stage.required_fields or []))


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


def fields_required_for_win(deal) -> list[str]:
    """A win from any stage counts every remaining stage as passed: the union of the required fields of the
    current stage and of every later one, in pipeline order."""
    stages = _active_stages(deal, deal.stage)
    ids = [s.pk for s in stages]
    start = ids.index(deal.stage_id) if deal.stage_id in ids else 0
    return _union(stages[start:])


def missing_fields(deal, keys: list[str], registry: FieldRegistry | None = None) -> list[str]:
    """The keys (in their order) that the deal leaves empty."""
    return (registry or deal_fields()).missing(deal, keys)
