"""URLs of the settings (``/settings/``): administrators only, checked once here for every view."""

from django.urls import path

from voronka.accounts import views as accounts
from voronka.audit import views as audit
from voronka.automation import views as automation
from voronka.billing import views as billing
from voronka.catalog import views as catalog
from voronka.clients import views as questions
from voronka.imports import views as imports
from voronka.integrations import views as integrations
from voronka.mailings import views as mailings
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
    path("users/<int:pk>/deactivate/", admin(accounts.user_deactivate), name="user_deactivate"),
    path("users/<int:pk>/pipelines/", admin(accounts.user_pipelines), name="user_pipelines"),
    path("teams/", admin(accounts.team_list), name="teams"),
    path("access/", admin(accounts.access), name="access"),
    path("teams/<int:pk>/", admin(accounts.team_edit), name="team"),
    path("audit/", admin(audit.audit_log), name="audit"),
    # billing
    path("billing/requisites/", admin(billing.requisites_settings), name="billing_requisites"),
    path("billing/requisites/images/", admin(billing.requisites_images), name="billing_images"),
    path("billing/requisites/images/<str:kind>/", admin(billing.requisites_image), name="billing_image"),
    path("billing/surveys/", admin(billing.survey_settings), name="billing_surveys"),
    path("billing/rules/", admin(billing.rules_settings), name="billing_rules"),
    # outgoing webhooks
    path("webhooks/", admin(integrations.webhook_list), name="webhooks"),
    path("webhooks/new/", admin(integrations.webhook_create), name="webhook_create"),
    path("webhooks/<int:pk>/", admin(integrations.webhook_detail), name="webhook"),
    path("webhooks/<int:pk>/edit/", admin(integrations.webhook_edit), name="webhook_edit"),
    path("webhooks/<int:pk>/pause/", admin(integrations.webhook_pause), name="webhook_pause"),
    path("webhooks/<int:pk>/resume/", admin(integrations.webhook_resume), name="webhook_resume"),
    path("webhooks/<int:pk>/rotate/", admin(integrations.webhook_rotate), name="webhook_rotate"),
    path("webhooks/<int:pk>/test/", admin(integrations.webhook_test), name="webhook_test"),
    path("webhooks/<int:pk>/delete/", admin(integrations.webhook_delete), name="webhook_delete"),
    path("webhooks/<int:pk>/deliveries/<int:delivery_pk>/replay/", admin(integrations.delivery_replay),
         name="webhook_replay"),
    # web forms
    path("forms/", admin(integrations.lead_form_list), name="lead_forms"),
    path("forms/new/", admin(integrations.lead_form_create), name="lead_form_create"),
    path("forms/<int:pk>/", admin(integrations.lead_form_detail), name="lead_form"),
    path("forms/<int:pk>/edit/", admin(integrations.lead_form_edit), name="lead_form_edit"),
    # capture channels: the mailbox and the telephony webhook
    path("mailbox/", admin(integrations.mailbox_settings), name="mailbox"),
    path("mailbox/test/", admin(integrations.mailbox_test), name="mailbox_test"),
    path("telephony/", admin(integrations.telephony_settings), name="telephony"),
    path("telephony/token/", admin(integrations.telephony_token), name="telephony_token"),
    # email templates and sequences
    path("mail/templates/", admin(mailings.template_list), name="mail_templates"),
    path("mail/templates/new/", admin(mailings.template_create), name="mail_template_create"),
    path("mail/templates/<int:pk>/", admin(mailings.template_edit), name="mail_template"),
    path("mail/sequences/", admin(mailings.sequence_list), name="sequences"),
    path("mail/sequences/new/", admin(mailings.sequence_create), name="sequence_create"),
    path("mail/sequences/<int:pk>/", admin(mailings.sequence_detail), name="sequence"),
    path("mail/sequences/<int:pk>/edit/", admin(mailings.sequence_edit), name="sequence_edit"),
    path("mail/follow-ups/", admin(mailings.follow_up_rules), name="follow_up_rules"),
    path("mail/steps/<int:pk>/delete/", admin(mailings.sequence_step_delete), name="sequence_step_delete"),
    # import
    path("import/", admin(imports.import_index), name="import"),
    path("import/<int:pk>/", admin(imports.batch_detail), name="import_batch"),
    path("import/<int:pk>/errors.csv", admin(imports.batch_errors), name="import_errors"),
    path("import/<int:pk>/undo/", admin(imports.batch_undo), name="import_undo"),
    path("import/<int:pk>/progress/", admin(imports.batch_progress), name="import_progress"),
    path("import/<int:pk>/rerun/", admin(imports.batch_rerun), name="import_rerun"),
    # the worker: live workers, failed tasks (dead letters), scheduled job runs
    path("worker/", admin(automation.worker_status), name="worker"),
    path("worker/retry/", admin(automation.worker_retry), name="worker_retry"),
]
