"""Reads of pipelines and stages."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from voronka.core.errors import NotFound
from voronka.pipelines.models import Pipeline, Stage


def list_pipelines(*, actor=None, active_only: bool = True) -> QuerySet[Pipeline]:
    qs = Pipeline.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.prefetch_related(Prefetch("stages", queryset=Stage.objects.order_by("position", "id")))


def get_pipeline(*, actor=None, slug: str | None = None, pipeline_id: int | None = None) -> Pipeline:
    qs = list_pipelines(actor=actor, active_only=False)
    try:
        return qs.get(slug=slug) if slug is not None else qs.get(pk=pipeline_id)
    except (Pipeline.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Pipeline not found.")) from exc


def get_stage(*, stage_id: int) -> Stage:
    try:
        return Stage.objects.select_related("pipeline").get(pk=stage_id)
    except (Stage.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Stage not found."), field="stage") from exc


def ordered_stages(pipeline: Pipeline) -> list[Stage]:
    return sorted(pipeline.stages.all(), key=lambda s: (s.position, s.pk))
