"""The audit log's filters (GET): every value checked, a bad one is a field error, never a 500."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.audit.selectors import AuditFilters, object_types


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Who"), queryset=User.objects.none(), required=False, empty_label="—")
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    action = forms.CharField(label=_("Action"), required=False, max_length=64,
                             help_text=_("The beginning of the action's name, e.g. deal."))
    field = forms.CharField(label=_("Field"), required=False, max_length=64)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.order_by("username")
        self.fields["object_type"].choices = [("", "—"), *((t, t) for t in object_types())]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The period starts after it ends."))
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(user_id=data["user"].pk if data.get("user") else None,
                            object_type=data.get("object_type") or "", object_id=(data.get("object_id") or "").strip(),
                            action=(data.get("action") or "").strip(), field=(data.get("field") or "").strip(),
                            date_from=data.get("date_from"), date_to=data.get("date_to"))
