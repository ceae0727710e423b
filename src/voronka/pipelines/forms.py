"""Forms of the pipeline settings: parse and shape input; the rules live in pipelines.services."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Team, User
from voronka.catalog.fields import deal_fields
from voronka.pipelines.actions import normalised
from voronka.pipelines.models import OwnerMode, PipelineKind, Stage
from voronka.pipelines.services import BLUEPRINTS

TEMPLATE_LABELS = {
    "inbound": _("Inbound requests"),
    "outreach": _("Outreach (cold sales)"),
    "renewal": _("Renewal of current clients"),
    "return": _("Return of lost clients"),
}


class PipelineCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    kind = forms.ChoiceField(label=_("Kind"), choices=PipelineKind.choices, initial=PipelineKind.CUSTOM)


class PipelineTemplateForm(forms.Form):
    template = forms.ChoiceField(label=_("Template"),
                                 choices=[(name, TEMPLATE_LABELS.get(name, name)) for name in BLUEPRINTS])


class PipelineEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(label=_("Active (shown on the board and in the lead form)"), required=False)
    instructions = forms.CharField(
        label=_("Instructions for the team"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: **bold**, lists with “-”, links [text](https://…). Shown above the board's columns "
                    "and on the deal page; HTML and scripts are removed."))

    @classmethod
    def for_pipeline(cls, pipeline) -> PipelineEditForm:
        """The form filled in with the pipeline's current values."""
        return cls(initial={"name": pipeline.name, "description": pipeline.description,
                            "is_active": pipeline.is_active, "instructions": pipeline.instructions})


class StageAddForm(forms.Form):
    name = forms.CharField(label=_("New stage"), max_length=160,
                           widget=forms.TextInput(attrs={"placeholder": _("What was done, e.g. “Demo held”")}))


class ActionsWidget(forms.Textarea):
    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        values = [v for v in values if v is not None]
        if len(values) > 1 or (len(values) == 1 and values[0].strip().isidentifier()):
            return values  # the checkbox values of the old form ("create_task_call"): legacy names
        return values[0] if values else None


class ActionsField(forms.CharField):
    """The stage's ``on_enter`` as JSON text; a list of checkbox values (the old form) is read as such."""

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return [str(v) for v in value][:100]
        text = super().to_python(value)
        if not text:
            return []
        if len(text) > 20_000:
            raise forms.ValidationError(_("At most %(n)s characters.") % {"n": 20_000})
        try:
            parsed = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("Not valid JSON: write a list such as "
                                          '[{"action": "create_task", "kind": "call"}].')) from None
        if not isinstance(parsed, list):
            raise forms.ValidationError(_("Write a JSON list of actions."))
        return parsed

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value):
        return None


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


def question_choices(stage: Stage) -> list[tuple[int, str]]:
    """The stage's questions first (in its order, switched-off ones marked), then every other active
    question of an active set, set by set."""
    from voronka.clients.models import Question

    own = list(Question.objects.filter(stage_links__stage=stage).select_related("question_set")
               .order_by("stage_links__position", "stage_links__id"))
    own_ids = {q.pk for q in own}
    others = (Question.objects.filter(is_active=True, question_set__is_active=True).exclude(pk__in=own_ids)
              .select_related("question_set").order_by("question_set__name", "question_set_id", "sort_order", "id"))

    def label(q) -> str:
        off = "" if q.is_active and q.question_set.is_active else " " + str(_("(switched off)"))
        return f"{q.text} · {q.question_set.name}{off}"

    return [(q.pk, label(q)) for q in [*own, *others]]


class StageForm(forms.Form):
    """The whole rulebook of a stage (``update_stage``)."""

    name = forms.CharField(label=_("Stage name"), max_length=160,
                           help_text=_("Name the stage by what was done: “Demo held”, “Proposal sent”."))
    entry_result = forms.CharField(label=_("Entry result"), required=False, max_length=4000,
                                   help_text=_("What was done for a deal to get here."),
                                   widget=forms.Textarea(attrs={"rows": 2}))
    goal = forms.CharField(label=_("Goal of the stage"), required=False, max_length=4000,
                           help_text=_("What the manager must achieve to move the deal on."),
                           widget=forms.Textarea(attrs={"rows": 2}))
    max_days = forms.IntegerField(label=_("Maximum days on the stage"), required=False, min_value=1,
                                  max_value=3650, help_text=_("After this the deal is flagged as rotting."))
    probability = forms.IntegerField(label=_("Win probability, %"), min_value=0, max_value=100, initial=0)
    owner_team = forms.ModelChoiceField(label=_("Owner team"), required=False, queryset=Team.objects.none(),
                                        empty_label="—")
    owner_role = forms.ChoiceField(
        label=_("Owner role"), required=False,
        choices=[("", "—"), ("manager", _("Manager")), ("lead", _("Team lead")), ("head", _("Head of sales"))],
        help_text=_("Anyone active with this role: in the deal's team when it has such people, else anyone."))
    owner_mode = forms.ChoiceField(
        label=_("How the team or role picks the owner"), required=False,
        choices=[("", "—"), *OwnerMode.choices],
        help_text=_("Team lead: the team's lead takes the deal (for a team, the default). Round-robin: the next "
                    "active member in turn. Least loaded: the active member with the fewest open deals. A deal "
                    "already owned by one of them stays with him."))
    owner_user = UserChoiceField(label=_("Owner (conveyor)"), required=False, queryset=User.objects.none(),
                                 empty_label="—",
                                 help_text=_("On entering the stage the deal is handed to this person."))
    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("A deal cannot enter this stage, or be closed from it, while these are empty."))
    questions = forms.TypedMultipleChoiceField(
        label=_("Qualification questions"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=_("What the manager asks the client on this stage; the answers are kept on the client card. "
                    "Question sets are edited under Settings › Qualification questions."))
    new_questions = forms.CharField(
        label=_("New questions"), required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One question per line: each is added to the question set named after the pipeline "
                    "(or the existing question with the same text is used) and asked on this stage."))
    questions_required = forms.BooleanField(
        label=_("The client must have answered these questions before a deal enters the stage"), required=False)
    on_enter = ActionsField(
        label=_("Automation on entering the stage"), required=False, max_length=20_000,
        widget=ActionsWidget(attrs={"rows": 5, "spellcheck": "false", "class": "mono"}),
        help_text=_('A JSON list of actions, e.g. [{"action": "create_task", "kind": "call", "due_days": 1, '
                    '"assignee": "deal_owner"}, {"action": "notify", "to": "team_lead"}, {"action": "send_email", '
                    '"template": 3}, {"action": "start_sequence", "sequence": 1}, {"action": "stop_sequence"}, '
                    '{"action": "assign_owner", "user": 5}, {"action": "webhook", "subscription": 2}, '
                    '{"action": "set_field", "field": "source", "value": 1}]. People: deal_owner, stage_owner, '
                    'team_lead. Each action is checked when saved; see docs/mailings.md.'))
    instructions = forms.CharField(label=_("Instructions for the manager"), required=False, max_length=20_000,
                                   help_text=_("Step by step: what to do on this stage. Markdown is allowed."),
                                   widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, stage: Stage, teams, users, **kwargs):
        if not args and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(stage)
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = teams
        self.fields["owner_user"].queryset = users
        registry = deal_fields()
        choices = registry.required_field_choices()
        known = {k for k, _label in choices}
        # A key still set on the stage whose custom field was deactivated stays visible (and removable);
        # it no longer blocks a move (``FieldRegistry.missing``).
        for key in stage.required_fields or []:
            if key not in known:
                choices.append((key, _("%(key)s (inactive field)") % {"key": registry.label(key)}))
        self.fields["required_fields"].choices = choices
        self.fields["questions"].choices = question_choices(stage)

    @staticmethod
    def initial_from(stage: Stage) -> dict:
        return {
            "name": stage.name, "entry_result": stage.entry_result, "goal": stage.goal,
            "max_days": stage.max_days, "probability": stage.probability,
            "owner_team": stage.owner_team_id, "owner_user": stage.owner_user_id, "owner_role": stage.owner_role,
            "owner_mode": stage.owner_mode,
            "required_fields": list(stage.required_fields or []),
            "questions": list(stage.question_links.order_by("position", "id").values_list("question_id", flat=True)),
            "questions_required": stage.questions_required,
            "on_enter": json.dumps(normalised(stage.on_enter), ensure_ascii=False) if stage.on_enter else "",
            "instructions": stage.instructions,
        }

    def clean_questions(self) -> list[int]:
        """The checked questions in the order they are listed (the stage's own order first)."""
        checked = set(self.cleaned_data.get("questions") or [])
        return [pk for pk, _label in self.fields["questions"].choices if pk in checked]

    def clean_new_questions(self) -> list[str]:
        text = self.cleaned_data.get("new_questions") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def stage_fields(self) -> dict:
        data = dict(self.cleaned_data)
        for key in ("entry_result", "goal", "instructions"):
            data[key] = (data.get(key) or "").strip()
        return data
