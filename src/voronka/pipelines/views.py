"""Settings: the overview, pipelines and stages with their rulebook (thin views over pipelines.services)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.accounts.selectors import active_users, list_teams, list_users_for_settings
from voronka.catalog.fields import deal_fields
from voronka.catalog.selectors import list_custom_fields
from voronka.core.errors import DomainError
from voronka.core.forms import apply_domain_error
from voronka.core.http import get_or_404
from voronka.pipelines.forms import (
    PipelineCreateForm,
    PipelineEditForm,
    PipelineTemplateForm,
    StageAddForm,
    StageForm,
)
from voronka.pipelines.lint import lint_stage_name
from voronka.pipelines.selectors import (
    get_pipeline_for_settings,
    get_stage,
    list_pipelines_for_settings,
    stage_lint_report,
)
from voronka.pipelines.services import (
    add_stage,
    archive_stage,
    create_pipeline,
    delete_stage,
    install_pipeline_from_template,
    move_stage,
    reorder_stages,
    unarchive_stage,
    update_pipeline,
    update_stage,
)
from voronka.web.settings_ui import MoveForm, OrderForm, done


def _get_pipeline(request, pk):
    return get_or_404(get_pipeline_for_settings, actor=request.user, pipeline_id=pk)


def _get_stage(pk):
    return get_or_404(get_stage, stage_id=pk)


# --- overview ---------------------------------------------------------------------------------------------


def _warn_on_stage_name(request, stage) -> None:
    """Show the stage-name lint warning (a state instead of a completed action) after a save."""
    warning = lint_stage_name(stage.name)
    if warning:
        messages.warning(request, warning)


@require_GET
def settings_index(request):
    context = {
        "nav": "settings", "section": "index",
        "lint": stage_lint_report(actor=request.user),
        "pipeline_count": list_pipelines_for_settings(actor=request.user).count(),
        "field_count": list_custom_fields(actor=request.user).count(),
        "user_count": list_users_for_settings(actor=request.user, show_inactive=False).count(),
        "team_count": list_teams().count(),
    }
    return render(request, "pipelines/settings_index.html", context)


# --- pipelines --------------------------------------------------------------------------------------------

def _pipeline_list(request, *, create_form=None, template_form=None, status=200):
    context = {
        "nav": "settings", "section": "pipelines",
        "pipelines": list_pipelines_for_settings(actor=request.user),
        "create_form": create_form or PipelineCreateForm(prefix="new"),
        "template_form": template_form or PipelineTemplateForm(prefix="tpl"),
    }
    return render(request, "pipelines/pipeline_list.html", context, status=status)


@require_GET
def pipeline_list(request):
    return _pipeline_list(request)


@require_POST
def pipeline_create(request):
    form = PipelineCreateForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            pipeline = create_pipeline(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, reverse("settings:pipeline", args=[pipeline.pk]),
                        _("Pipeline “%(name)s” created. Add its stages.") % {"name": pipeline.name})
    return _pipeline_list(request, create_form=form, status=400)


@require_POST
def pipeline_install(request):
    form = PipelineTemplateForm(request.POST, prefix="tpl")
    if form.is_valid():
        try:
            pipeline = install_pipeline_from_template(actor=request.user, name=form.cleaned_data["template"],
                                                      language=(get_language() or "ru")[:2])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return done(request, reverse("settings:pipeline", args=[pipeline.pk]),
                        _("Pipeline “%(name)s” installed from the template.") % {"name": pipeline.name})
    return _pipeline_list(request, template_form=form, status=400)


def _stage_rows(request, pipeline) -> list[dict]:
    registry = deal_fields()
    return [{"stage": s, "warning": lint_stage_name(s.name),
             "required": registry.labels(list(s.required_fields or []))}
            for s in pipeline.stage_list]


def _pipeline_context(request, pipeline, **extra) -> dict:
    return {"nav": "settings", "section": "pipelines", "pipeline": pipeline, "rows": _stage_rows(request, pipeline),
            **extra}


@require_http_methods(["GET", "POST"])
def pipeline_detail(request, pk):
    """The pipeline page: its stages in order (drag or up/down), the add-stage form and the pipeline's name."""
    pipeline = _get_pipeline(request, pk)
    status = 200
    if request.method == "POST":
        form = PipelineEditForm(request.POST)
        if form.is_valid():
            try:
                update_pipeline(actor=request.user, pipeline=pipeline, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:pipeline", args=[pipeline.pk]), _("Pipeline saved."))
        status = 400
    else:
        form = PipelineEditForm.for_pipeline(pipeline)
    context = _pipeline_context(request, pipeline, edit_form=form, add_form=StageAddForm())
    return render(request, "pipelines/pipeline_detail.html", context, status=status)


def _stage_list_response(request, pipeline_pk, *, error: str | None = None, notice: str | None = None,
                         focus: str | None = None):
    """After a change of the stage list: the list partial for htmx, else back to the pipeline page."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        return redirect("settings:pipeline", pk=pipeline_pk)
    pipeline = _get_pipeline(request, pipeline_pk)
    context = _pipeline_context(request, pipeline, list_error=error, list_notice=notice, focus=focus)
    return render(request, "pipelines/_stage_list.html", context)


@require_POST
def stage_add(request, pk):
    pipeline = _get_pipeline(request, pk)
    form = StageAddForm(request.POST)
    if form.is_valid():
        try:
            stage = add_stage(actor=request.user, pipeline=pipeline, name=form.cleaned_data["name"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            _warn_on_stage_name(request, stage)
            return done(request, reverse("settings:stage", args=[stage.pk]),
                        _("Stage “%(name)s” added. Fill in its rulebook.") % {"name": stage.name})
    context = _pipeline_context(request, pipeline, add_form=form, edit_form=PipelineEditForm.for_pipeline(pipeline))
    return render(request, "pipelines/pipeline_detail.html", context, status=400)


@require_POST
def stage_reorder(request, pk):
    """Drag and drop: the whole new order of stage ids (``order=4,1,2,3``)."""
    pipeline = _get_pipeline(request, pk)
    form = OrderForm(request.POST)
    if not form.is_valid():
        return _stage_list_response(request, pipeline.pk, error=_("The new order could not be read; try again."))
    try:
        reorder_stages(actor=request.user, pipeline=pipeline, stage_ids=form.cleaned_data["order"])
    except DomainError as exc:
        return _stage_list_response(request, pipeline.pk, error=exc.message)
    return _stage_list_response(request, pipeline.pk, notice=_("Stage order saved."))


@require_POST
def stage_move(request, pk):
    """The accessible alternative to dragging: one place up or down."""
    stage = _get_stage(pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _stage_list_response(request, stage.pipeline_id, error=_("Choose up or down."))
    direction = form.cleaned_data["direction"]
    try:
        move_stage(actor=request.user, stage=stage, direction=direction)
    except DomainError as exc:
        return _stage_list_response(request, stage.pipeline_id, error=exc.message)
    return _stage_list_response(request, stage.pipeline_id, focus=f"{direction}-{stage.pk}",
                                notice=_("“%(name)s” moved.") % {"name": stage.name})


def _stage_action(request, pk, action, notice: str, focus: str = ""):
    """Run a stage service and answer with the stage list: the notice, or the service's refusal."""
    stage = _get_stage(pk)
    try:
        action(actor=request.user, stage=stage)
    except DomainError as exc:
        return _stage_list_response(request, stage.pipeline_id, error=exc.message)
    return _stage_list_response(request, stage.pipeline_id, focus=focus.format(pk=stage.pk) or None,
                                notice=notice % {"name": stage.name})


@require_POST
def stage_delete(request, pk):
    return _stage_action(request, pk, delete_stage, _("Stage “%(name)s” deleted."))


@require_POST
def stage_archive(request, pk):
    """Archive a stage with history (it keeps its reports, takes no new deals, leaves the board)."""
    return _stage_action(request, pk, archive_stage, _("Stage “%(name)s” archived."), focus="unarchive-{pk}")


@require_POST
def stage_unarchive(request, pk):
    return _stage_action(request, pk, unarchive_stage, _("Stage “%(name)s” is back on the board."),
                         focus="archive-{pk}")


@require_http_methods(["GET", "POST"])
def stage_edit(request, pk):
    """The stage's rulebook: name, entry result, goal, SLA, owner, required fields, questions, automation."""
    stage = _get_stage(pk)
    kwargs = {"stage": stage, "teams": list_teams(), "users": active_users(actor=request.user, include=stage.owner_user_id)}
    status = 200
    if request.method == "POST":
        form = StageForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                update_stage(actor=request.user, stage=stage, **form.stage_fields())
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                _warn_on_stage_name(request, stage)
                return done(request, reverse("settings:pipeline", args=[stage.pipeline_id]),
                            _("Stage “%(name)s” saved.") % {"name": stage.name})
        status = 400
    else:
        form = StageForm(**kwargs)
    name = form["name"].value() if form.is_bound else stage.name
    context = {"nav": "settings", "section": "pipelines", "stage": stage, "pipeline": stage.pipeline, "form": form,
               "lint_warning": lint_stage_name(name or "")}
    return render(request, "pipelines/stage_edit.html", context, status=status)


@require_GET
def stage_lint(request):
    """Live lint of a stage name while the admin types (htmx)."""
    name = request.GET.get("name", "")[:160]
    return render(request, "pipelines/_lint_warning.html", {"lint_warning": lint_stage_name(name) if name else ""})
