"""Forms of the task and timeline screens: they parse input; the rules live in ``activities.services``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.activities.models import ActivityKind, Outcome, TaskKind
from voronka.catalog.models import LostReason
from voronka.core.forms import IntegerField

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
TIMELINE_KINDS = [(k.value, k.label) for k in (ActivityKind.NOTE, ActivityKind.CALL, ActivityKind.MEETING,
                                                ActivityKind.EMAIL)]


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


class CompleteTaskForm(forms.Form):
    """Complete a task with its outcome (``complete_task``).

    The form parses types and checks what each outcome needs, so all the missing fields are named at once;
    whether a Result needs a next task depends on the deal and is decided by the service.
    """

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome: result, postpone or refusal.")})
    comment = forms.CharField(
        label=_("Comment"), max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What happened, what was agreed")}),
        error_messages={"required": _("Describe the outcome in a comment.")})
    next_title = forms.CharField(label=_("Next task"), required=False, max_length=255,
                                 widget=forms.TextInput(attrs={"placeholder": _("What has to be done next")}))
    next_kind = forms.ChoiceField(label=_("Type"), choices=TaskKind.choices, required=False,
                                  initial=TaskKind.CALL)
    next_due_date = forms.DateField(label=_("Due date"), required=False, widget=DATE_INPUT)
    next_due_time = forms.TimeField(label=_("Time"), required=False, widget=TIME_INPUT)
    postpone_to = forms.DateField(label=_("New contact date"), required=False, widget=DATE_INPUT)
    lost_reason = forms.ModelChoiceField(label=_("Refusal reason"), required=False, queryset=LostReason.objects.none(),
                                         empty_label="—")
    lost_comment = forms.CharField(label=_("Refusal comment"), required=False, max_length=4000,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    log_call = forms.BooleanField(label=_("Log the call on the timeline (the comment is its text)"),
                                  required=False, initial=True)

    # Which fields belong to which outcome (the template shows one group at a time).
    RESULT_FIELDS = ("next_title", "next_kind", "next_due_date", "next_due_time")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lost_reason"].queryset = LostReason.objects.filter(is_active=True).order_by("sort_order", "name")
        self.fields["next_due_date"].initial = tomorrow()
        today = timezone.localdate().isoformat()
        for name in ("next_due_date", "postpone_to"):
            self.fields[name].widget.attrs["min"] = today

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == Outcome.POSTPONE and not data.get("postpone_to") and "postpone_to" not in self.errors:
            self.add_error("postpone_to", _("Choose the new contact date."))
        if outcome == Outcome.REFUSAL and not data.get("lost_reason") and "lost_reason" not in self.errors:
            self.add_error("lost_reason", _("Choose the refusal reason."))
        return data

    def next_task(self) -> dict | None:
        """The next-task spec for a Result, or None when the manager left the title empty."""
        data = self.cleaned_data
        if not (data.get("next_title") or "").strip():
            return None
        return {"title": data["next_title"], "kind": data.get("next_kind") or TaskKind.CALL,
                "due_date": data.get("next_due_date"), "due_time": data.get("next_due_time")}


class TaskForm(forms.Form):
    """A new task of a deal or client (``create_task``)."""

    title = forms.CharField(label=_("What has to be done"), max_length=255,
                            error_messages={"required": _("Enter what has to be done.")})
    kind = forms.ChoiceField(label=_("Type"), choices=TaskKind.choices, initial=TaskKind.CALL)
    due_date = forms.DateField(label=_("Due date"), widget=DATE_INPUT,
                               error_messages={"required": _("Choose the due date.")})
    due_time = forms.TimeField(label=_("Time"), required=False, widget=TIME_INPUT)
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False)

    def __init__(self, *args, users=(), default_assignee=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_date"].initial = tomorrow()
        self.fields["assignee"].choices = [(u.pk, str(u)) for u in users]
        if default_assignee is not None:
            self.fields["assignee"].initial = default_assignee.pk
        if len(self.fields["assignee"].choices) <= 1:
            self.fields["assignee"].widget = forms.HiddenInput()


class TimelineEntryForm(forms.Form):
    """A note, call, meeting or email written on a deal's or client's timeline (``add_timeline_entry``)."""

    kind = forms.ChoiceField(label=_("Type"), choices=TIMELINE_KINDS, initial=ActivityKind.NOTE)
    body = forms.CharField(label=_("Text"), max_length=10000,
                           widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What happened?")}),
                           error_messages={"required": _("Write the text of the entry.")})
    deal = IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    client = IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("deal") and not data.get("client") and not self.has_error("deal") \
                and not self.has_error("client"):
            raise forms.ValidationError(_("A timeline entry belongs to a deal or a client."))
        return data


DUE_FILTERS = [("", _("Any date")), ("overdue", _("Overdue")), ("today", _("Today")), ("week", _("This week")),
               ("range", _("Date range"))]
STATUS_FILTERS = [("open", _("Open")), ("done", _("Done")), ("cancelled", _("Cancelled")), ("all", _("Any status"))]


class TaskFilterForm(forms.Form):
    """The filters of the task section (GET). An invalid value is reported on its field and ignored."""

    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Any type")), *TaskKind.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_FILTERS)
    due = forms.ChoiceField(label=_("Due"), required=False, choices=DUE_FILTERS)
    due_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    due_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int, required=False, empty_value=None)
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, people=(), pipelines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Everyone")), *((u.pk, str(u)) for u in people)]
        if len(people) <= 1:
            self.fields["assignee"].widget = forms.HiddenInput()
        self.fields["pipeline"].choices = [("", _("Any pipeline")), *((p.pk, p.name) for p in pipelines)]
        self.fields["stage"].choices = [("", _("Any stage")), *(
            (s.pk, f"{p.name} · {s.name}") for p in pipelines for s in p.stages.all())]

    def filter_values(self) -> dict:
        """The valid values (``TaskFilter`` keywords); call after ``is_valid()``."""
        data = getattr(self, "cleaned_data", {})
        return {
            "assignee": data.get("assignee"), "kind": data.get("kind") or "",
            "status": data.get("status") or "open", "due": data.get("due") or "",
            "due_from": data.get("due_from"), "due_to": data.get("due_to"),
            "pipeline": data.get("pipeline"), "stage": data.get("stage"),
        }


class BulkTasksForm(forms.Form):
    """Reassign or postpone the selected tasks of the task section."""

    action = forms.ChoiceField(choices=[("reassign", _("Reassign")), ("postpone", _("Postpone"))],
                               error_messages={"required": _("Choose what to do with the selected tasks.")})
    assignee = forms.TypedChoiceField(label=_("New assignee"), coerce=int, required=False, empty_value=None)
    postpone_to = forms.DateField(label=_("New contact date"), required=False, widget=DATE_INPUT)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=4000)

    def __init__(self, *args, people=(), **kwargs):
        kwargs.setdefault("auto_id", "bulk-%s")  # the filter form on the same page has an assignee too
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "—"), *((u.pk, str(u)) for u in people)]
        self.fields["postpone_to"].widget.attrs["min"] = timezone.localdate().isoformat()
