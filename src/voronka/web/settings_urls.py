"""URLs of the settings (``/settings/``): administrators only, checked once here for every view."""

from django.urls import path

from voronka.accounts import views as accounts
from voronka.audit import views as audit
from voronka.catalog import views as catalog
from voronka.clients import views as questions
from voronka.imports import views as imports
from voronka.pipelines import views as pipelines
from voronka.web.settings_ui import admin_required

app_name = "settings"
admin = admin_required  # every settings view: signed in and ``user.can_configure``, else 403


urlpatterns = [
    path("", admin(pipelines.settings_index), name="index"),
    # pipelines and stages
    path("pipelines/", admin(pipelines.pipeline_list), name="pipelines"),
    path("pipelines/new/", admin(pipelines.pipeline_create), name="pipeline_create"),
    path("pipelines/install/", admin(pipelines.pipeline_install), name="pipeline_install"),
    path("pipelines/<int:pk>/", admin(pipelines.pipeline_detail), name="pipeline"),
    path("pipelines/<int:pk>/stages/new/", admin(pipelines.stage_add), name="stage_add"),
    path("pipelines/<int:pk>/stages/order/", admin(pipelines.stage_reorder), name="stage_reorder"),
    path("stages/lint/", admin(pipelines.stage_lint), name="stage_lint"),
    path("stages/<int:pk>/", admin(pipelines.stage_edit), name="stage"),
    path("stages/<int:pk>/move/", admin(pipelines.stage_move), name="stage_move"),
    path("stages/<int:pk>/delete/", admin(pipelines.stage_delete), name="stage_delete"),
    path("stages/<int:pk>/archive/", admin(pipelines.stage_archive), name="stage_archive"),
    path("stages/<int:pk>/unarchive/", admin(pipelines.stage_unarchive), name="stage_unarchive"),
    # custom fields
    path("fields/", admin(catalog.field_list), name="fields"),
    path("fields/new/", admin(catalog.field_create), name="field_create"),
    path("fields/<int:pk>/", admin(catalog.field_edit), name="field"),
    # dictionaries
    path("dictionaries/", admin(catalog.dictionary_index), name="dictionaries"),
    path("dictionaries/<slug:kind>/", admin(catalog.dictionary_list), name="dictionary"),
    path("dictionaries/<slug:kind>/order/", admin(catalog.dictionary_reorder), name="dictionary_reorder"),
    path("dictionaries/<slug:kind>/<int:pk>/", admin(catalog.dictionary_item_edit), name="dictionary_item"),
    path("dictionaries/<slug:kind>/<int:pk>/move/", admin(catalog.dictionary_item_move),
         name="dictionary_item_move"),
    path("dictionaries/<slug:kind>/<int:pk>/active/", admin(catalog.dictionary_item_toggle),
         name="dictionary_item_toggle"),
    # qualification question sets
    path("questions/", admin(questions.question_set_list), name="question_sets"),
    path("questions/<int:pk>/", admin(questions.question_set_detail), name="question_set"),
    path("questions/<int:pk>/edit/", admin(questions.question_set_edit), name="question_set_edit"),
    path("questions/<int:pk>/active/", admin(questions.question_set_toggle), name="question_set_toggle"),
    path("questions/<int:pk>/order/", admin(questions.question_reorder), name="question_reorder"),
    path("questions/q/<int:pk>/", admin(questions.question_edit), name="question"),
    path("questions/q/<int:pk>/move/", admin(questions.question_move), name="question_move"),
    path("questions/q/<int:pk>/active/", admin(questions.question_toggle), name="question_toggle"),
    # users and teams
    path("users/", admin(accounts.user_list), name="users"),
    path("users/new/", admin(accounts.user_create), name="user_create"),
    path("users/<int:pk>/", admin(accounts.user_edit), name="user"),
    path("users/<int:pk>/password/", admin(accounts.user_password), name="user_password"),
    path("teams/", admin(accounts.team_list), name="teams"),
    path("teams/<int:pk>/", admin(accounts.team_edit), name="team"),
    path("audit/", admin(audit.audit_log), name="audit"),
    # import
    path("import/", admin(imports.import_index), name="import"),
    path("import/<int:pk>/", admin(imports.batch_detail), name="import_batch"),
    path("import/<int:pk>/errors.csv", admin(imports.batch_errors), name="import_errors"),
    path("import/<int:pk>/undo/", admin(imports.batch_undo), name="import_undo"),
]
