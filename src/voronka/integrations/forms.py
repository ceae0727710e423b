"""The webhook form of the settings (values are checked by the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.integrations.models import ALL_VERBS, WEBHOOK_VERBS

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
        if subscription is not None and not args:
            kwargs.setdefault("initial", {"name": subscription.name, "target_url": subscription.target_url,
                                          "event_types": subscription.event_types})
        super().__init__(*args, **kwargs)


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", _("All"))])

    def __init__(self, *args, **kwargs) -> None:
        from voronka.integrations.models import DeliveryStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *DeliveryStatus.choices]
