"""Reads of pipelines and stages."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from voronka.accounts.permissions import allowed_pipeline_ids
from voronka.core.errors import NotFound
from voronka.pipelines.lint import lint_stage_name
from voronka.pipelines.models import Pipeline, PipelineAccess, Stage


def list_pipelines(*, actor=None, active_only: bool = True) -> QuerySet[Pipeline]:
    """Pipelines for boards and choices: with an actor, only those he may work in (his pipeline access)."""
    qs = Pipeline.objects.all()
    allowed = allowed_pipeline_ids(actor) if actor is not None else None
    if allowed is not None:
        qs = qs.filter(pk__in=sorted(allowed))
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.prefetch_related(Prefetch("stages", queryset=Stage.objects.order_by("position", "id")))


def first_stage_required(pipelines) -> dict[int, list[str]]:
    """Pipeline id → the required field keys of its first (not archived) stage, in one query."""
    result: dict[int, list[str]] = {}
    stages = (Stage.objects.filter(pipeline__in=[p.pk for p in pipelines], is_archived=False)
              .order_by("pipeline_id", "position", "id").values_list("pipeline_id", "required_fields"))
    for pipeline_id, keys in stages:
        result.setdefault(pipeline_id, list(keys or []))
    return result


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


def ordered_stages(pipeline: Pipeline, *, keep: int | None = None) -> list[Stage]:
    """The stages that take deals, in board order (archived ones hidden, except the stage ``keep``)."""
    return sorted((s for s in pipeline.stages.all() if not s.is_archived or s.pk == keep),
                  key=lambda s: (s.position, s.pk))


def furthest_visited_stage(deal_ref: str = "pk", pipeline_ref: str = "pipeline_id") -> Subquery:
    """Subquery over deals: the furthest stage (in its pipeline's current order) the deal's log entered.

    The log is the deal's stage transitions: the ``created`` row and every ``to_stage``; only stages of the
    deal's current pipeline count. ``deal_ref`` and ``pipeline_ref`` name the outer deal's columns. Stages
    are ordered by ``(position, id)``, as on the board.
    """
    return Subquery(
        Stage.objects.filter(pipeline_id=OuterRef(pipeline_ref), transitions_in__deal_id=OuterRef(deal_ref))
        .order_by("-position", "-id").values("pk")[:1]
    )


# --- settings screens -------------------------------------------------------------------------------------

def _count_subquery(model, field: str, **filters):
    qs = (model.objects.filter(**{field: OuterRef("pk")}, **filters).order_by().values(field)
          .annotate(c=Count("pk")).values("c"))
    return Coalesce(Subquery(qs, output_field=IntegerField()), 0)


def list_pipelines_for_settings(*, actor) -> QuerySet[Pipeline]:
    """Every pipeline (active or not) with its stage count and open deal count, in two subqueries."""
    deal_model = Pipeline._meta.get_field("deals").related_model  # deals sit above pipelines: no import
    return Pipeline.objects.annotate(
        stage_count=_count_subquery(Stage, "pipeline"),
        open_deal_count=_count_subquery(deal_model, "pipeline", status="open"),
    ).order_by("-is_active", "sort_order", "name")


def get_pipeline_for_settings(*, actor, pipeline_id) -> Pipeline:
    """A pipeline with its ordered stages (owner team/user joined, deal counts and ``has_history`` annotated)
    as ``stage_list``; archived stages are listed too (the page offers to unarchive them)."""
    try:
        pipeline = Pipeline.objects.get(pk=pipeline_id)
    except (Pipeline.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Pipeline not found.")) from exc
    stages = (Stage.objects.filter(pipeline=pipeline).select_related("owner_team", "owner_user")
              .annotate(deal_count=Count("deals"), open_deal_count=Count("deals", filter=Q(deals__status="open")),
                        has_history=Exists(Stage.objects.filter(pk=OuterRef("pk"), transitions_in__isnull=False)))
              .order_by("position", "id"))
    pipeline.stage_list = list(stages)
    return pipeline


def stage_lint_report(*, actor) -> list[dict]:
    """Every stage whose name fails the stage-name lint, with its pipeline, in board order."""
    report = []
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__sort_order", "pipeline__name",
                                                                "position", "id")
    for stage in stages:
        warning = lint_stage_name(stage.name)
        if warning:
            report.append({"pipeline": stage.pipeline, "stage": stage, "warning": warning})
    return report


# --- qualification questions of stages --------------------------------------------------------------------

def asked_questions(stage: Stage) -> list:
    """The catalogue questions the stage asks, in the stage's order (switched-off questions and questions
    of switched-off sets are not asked)."""
    from voronka.clients.models import Question

    return list(Question.objects.filter(stage_links__stage=stage, is_active=True, question_set__is_active=True)
                .order_by("stage_links__position", "stage_links__id"))


def required_question_ids(stage: Stage) -> list[int]:
    """Ids of the questions a deal's client must have answered to enter ``stage`` (none unless required)."""
    if not stage.questions_required:
        return []
    return [q.pk for q in asked_questions(stage)]


def pipeline_access_of(*, user) -> list[int]:
    """The ids of the pipelines ``user`` is limited to (empty: every pipeline)."""
    return list(PipelineAccess.objects.filter(user=user).order_by("pipeline_id").values_list("pipeline_id", flat=True))
