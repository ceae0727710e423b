"""The webhook form of the settings (values are checked by the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Team
from voronka.accounts.selectors import assignable_users
from voronka.catalog.models import Source
from voronka.integrations.leadforms import custom_form_fields
from voronka.integrations.models import ALL_VERBS, WEBHOOK_VERBS, AssignMode, DeliveryStatus
from voronka.pipelines.selectors import list_pipelines

VERB_LABELS = {
    "client.created": _("Client created"),
    "client.updated": _("Client changed"),
    "client.qualified": _("Client qualification answered"),
    "client.refused": _("Client refused"),
    "contact.created": _("Contact added"),
    "deal.created": _("Deal created"),
    "deal.updated": _("Deal changed"),
    "deal.lines_set": _("Deal products changed"),
    "deal.moved": _("Deal moved to a stage"),
    "deal.pipeline_changed": _("Deal moved to another pipeline"),
    "deal.reassigned": _("Deal reassigned"),
    "deal.won": _("Deal won"),
    "deal.lost": _("Deal lost"),
    "deal.reopened": _("Deal reopened"),
    "task.created": _("Task created"),
    "task.updated": _("Task changed"),
    "task.cancelled": _("Task cancelled"),
    "task.result": _("Task completed with a result"),
    "task.postpone": _("Task completed: postponed"),
    "task.refusal": _("Task completed: refusal"),
    "timeline.added": _("Timeline entry added"),
    "form.submitted": _("Web form submitted"),
}


def verb_choices() -> list[tuple[str, str]]:
    return [(ALL_VERBS, _("All events")), *((v, f"{v} · {VERB_LABELS.get(v, v)}") for v in WEBHOOK_VERBS)]


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    target_url = forms.CharField(label=_("URL"), max_length=500,
                                 help_text=_("http:// or https://; receives a POST with JSON per event."),
                                 widget=forms.URLInput(attrs={"placeholder": "https://example.com/voronka-hook"}))
    event_types = forms.MultipleChoiceField(label=_("Events"), choices=verb_choices,
                                            widget=forms.CheckboxSelectMultiple,
                                            error_messages={"required": _("Choose the events to send.")})

    def __init__(self, *args, subscription=None, **kwargs) -> None:
        if subscription is not None and (not args or args[0] is None):  # a GET passes ``request.POST or None``
            kwargs.setdefault("initial", {"name": subscription.name, "target_url": subscription.target_url,
                                          "event_types": subscription.event_types})
        super().__init__(*args, **kwargs)


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", _("All"))])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *DeliveryStatus.choices]


FORM_FIELD_LABELS = {"name": _("Name (of the person)"), "company": _("Company"), "phone": _("Phone"),
                     "email": _("Email"), "comment": _("Comment (a note on the deal)")}


class LeadFormForm(forms.Form):
    """A web form's definition (``leadforms.save_lead_form`` checks it)."""

    slug = forms.SlugField(label=_("Slug"), max_length=50,
                           help_text=_("The page is /forms/<slug>/; it cannot change later."))
    title = forms.CharField(label=_("Title"), max_length=200)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=None, empty_label=None)
    fields = forms.MultipleChoiceField(label=_("Fields"), widget=forms.CheckboxSelectMultiple,
                                       choices=list(FORM_FIELD_LABELS.items()),
                                       help_text=_("A phone or an email, and a name or a company, are needed."))
    source = forms.ModelChoiceField(label=_("Default source"), queryset=None, required=False, empty_label="—",
                                    help_text=_("Used when the utm_source of the visit matches no source."))
    assign_mode = forms.ChoiceField(label=_("Assignment"), choices=[])
    assignee = forms.ModelChoiceField(label=_("Manager"), queryset=None, required=False, empty_label="—")
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label="—")
    task_title = forms.CharField(label=_("First task"), max_length=255, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, lead_form=None, **kwargs) -> None:
        actor = kwargs.pop("actor")
        if lead_form is not None and (not args or args[0] is None):
            kwargs.setdefault("initial", {
                "slug": lead_form.slug, "title": lead_form.title, "pipeline": lead_form.pipeline_id,
                "fields": lead_form.fields, "source": lead_form.source_id, "assign_mode": lead_form.assign_mode,
                "assignee": lead_form.assignee_id, "team": lead_form.team_id, "task_title": lead_form.task_title,
                "is_active": lead_form.is_active})
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = [*FORM_FIELD_LABELS.items(),
                                         *((k, _("Custom: %(label)s") % {"label": label})
                                           for k, label in custom_form_fields().items())]
        self.fields["pipeline"].queryset = list_pipelines(actor=actor)
        self.fields["source"].queryset = Source.objects.filter(is_active=True).order_by("sort_order", "name")
        self.fields["assign_mode"].choices = AssignMode.choices
        self.fields["assignee"].queryset = assignable_users(actor=actor).order_by("username")
        self.fields["team"].queryset = Team.objects.order_by("name")
        if lead_form is not None:  # the slug is in published snippets: it never changes
            self.fields["slug"].disabled = True
            self.fields["slug"].initial = lead_form.slug


class MailboxSettingsForm(forms.Form):
    """Settings › Mailbox (``connectors.save_mailbox_settings`` checks it). The password is never filled in:
    empty keeps the stored one."""

    enabled = forms.BooleanField(label=_("Take leads from this mailbox"), required=False)
    host = forms.CharField(label=_("IMAP server"), max_length=255, required=False,
                           help_text=_("Empty: VORONKA_IMAP_HOST of the environment."))
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, required=False,
                              help_text=_("Empty: 993 with SSL, 143 without."))
    use_ssl = forms.BooleanField(label=_("SSL"), required=False)
    username = forms.CharField(label=_("User"), max_length=255, required=False)
    password = forms.CharField(label=_("Password"), max_length=255, required=False,
                               widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    folder = forms.CharField(label=_("Folder"), max_length=255, required=False, help_text=_("Empty: INBOX."))
    pipeline = forms.ModelChoiceField(label=_("Pipeline of new leads"), queryset=None, required=False,
                                      empty_label="—")
    assign_mode = forms.ChoiceField(label=_("Assignment"), choices=[])
    assignee = forms.ModelChoiceField(label=_("Manager"), queryset=None, required=False, empty_label="—")
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label="—")

    def __init__(self, *args, row=None, **kwargs) -> None:
        actor = kwargs.pop("actor")
        if not args or args[0] is None:
            kwargs.setdefault("initial", {
                "enabled": row.enabled, "host": row.host, "port": row.port, "use_ssl": row.use_ssl,
                "username": row.username, "folder": row.folder, "pipeline": row.pipeline_id,
                "assign_mode": row.assign_mode, "assignee": row.assignee_id, "team": row.team_id,
            } if row is not None else {"use_ssl": True})
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = list_pipelines(actor=actor)
        self.fields["assign_mode"].choices = AssignMode.choices
        self.fields["assignee"].queryset = assignable_users(actor=actor).order_by("username")
        self.fields["team"].queryset = Team.objects.order_by("name")
        if row is not None and row.password:
            self.fields["password"].help_text = _("A password is stored; leave empty to keep it.")


class TelephonySettingsForm(forms.Form):
    """Settings › Telephony: where leads from unknown numbers go."""

    pipeline = forms.ModelChoiceField(label=_("Pipeline of new leads"), queryset=None, required=False,
                                      empty_label="—", help_text=_("Empty: VORONKA_TELEPHONY_PIPELINE, else the "
                                                                   "first active inbound pipeline."))
    assignee = forms.ModelChoiceField(label=_("Manager for unknown operators"), queryset=None, required=False,
                                      empty_label="—", help_text=_("Empty: VORONKA_TELEPHONY_ASSIGNEE."))

    def __init__(self, *args, row=None, **kwargs) -> None:
        actor = kwargs.pop("actor")
        if (not args or args[0] is None) and row is not None:
            kwargs.setdefault("initial", {"pipeline": row.pipeline_id, "assignee": row.assignee_id})
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = list_pipelines(actor=actor)
        self.fields["assignee"].queryset = assignable_users(actor=actor).order_by("username")
