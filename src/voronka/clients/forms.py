"""Forms of the client screens: parse and shape input; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.activities.models import TaskKind
from voronka.catalog.fields import STANDARD
from voronka.catalog.models import (
    Campaign,
    Channel,
    FieldEntity,
    Industry,
    LostReason,
    Product,
    Region,
    Source,
    TargetAudience,
)
from voronka.clients.models import ClientKind, ClientStatus, Language, Rating
from voronka.clients.templatetags.client_tags import phone as format_phone
from voronka.core.forms import IntegerField
from voronka.core.validation import NOTES_MAX, REQUISITES_MAX

STALE_FORM = _("This form is out of date or damaged: reload the page and try again.")

# Deal keys of stage required fields (and other service field names) → the quick-add form's fields; a client
# key of the field registry (``client.region``) maps to the client attribute (``region``) when the form has it.
LEAD_FIELD_MAP = {"contact": "contact_name", "lines": "product", "pipeline": "pipeline", "stage": "pipeline"}


def _active(model):
    return model.objects.filter(is_active=True).order_by("sort_order", "name")


def _empty(label=None):
    return [("", label or "—")]


class DictionaryChoiceField(forms.ModelChoiceField):
    """An optional dictionary select ("—" when empty)."""

    def __init__(self, model, *, label, required=False, **kwargs):
        super().__init__(queryset=_active(model), label=label, required=required, empty_label="—", **kwargs)


# --- client list filters --------------------------------------------------------------------------------

class ClientFilterForm(forms.Form):
    """GET filters of the client list; bad values are dropped by ``ClientFilter.from_params``."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": _("Name, phone, email, INN")}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=_empty(_("Any status")) + list(ClientStatus.choices))
    rating = forms.ChoiceField(label=_("Rating"), required=False,
                               choices=_empty(_("Any rating")) + list(Rating.choices))
    responsible = forms.ChoiceField(label=_("Responsible"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)

    def __init__(self, *args, users=(), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["responsible"].choices = _empty(_("Anyone")) + [(str(u.pk), str(u)) for u in users]
        self.fields["region"].choices = _empty(_("Any region")) + [(str(r.pk), r.name) for r in _active(Region)]
        self.fields["source"].choices = _empty(_("Any source")) + [(str(s.pk), s.name) for s in _active(Source)]


# --- client card ------------------------------------------------------------------------------------------

class ClientForm(forms.Form):
    """Edit the client (``update_client``): company data, segment, source, rating, responsible."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ClientKind.choices)
    name = forms.CharField(label=_("Name"), max_length=255)
    inn = forms.CharField(label=_("INN / tax id"), required=False, max_length=20)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    email = forms.CharField(label=_("Email"), required=False, max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    website = forms.CharField(label=_("Website"), required=False, max_length=255)
    address = forms.CharField(label=_("Address"), required=False, max_length=500)
    requisites = forms.CharField(label=_("Requisites"), required=False, max_length=REQUISITES_MAX,
                                 help_text=_("Legal name, KPP, OGRN, bank details."),
                                 widget=forms.Textarea(attrs={"rows": 3}))
    kpp = forms.CharField(label=_("KPP"), required=False, max_length=20)
    ogrn = forms.CharField(label=_("OGRN"), required=False, max_length=30)
    legal_address = forms.CharField(label=_("Legal address"), required=False, max_length=500)
    bank_name = forms.CharField(label=_("Bank"), required=False, max_length=255)
    bik = forms.CharField(label=_("BIK"), required=False, max_length=20)
    settlement_account = forms.CharField(label=_("Settlement account"), required=False, max_length=40)
    corr_account = forms.CharField(label=_("Correspondent account"), required=False, max_length=40)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, required=False,
                                 help_text=_("Surveys and documents sent to the client are in this language."))
    region = DictionaryChoiceField(Region, label=_("Region"))
    industry = DictionaryChoiceField(Industry, label=_("Industry"))
    target_audience = DictionaryChoiceField(TargetAudience, label=_("Target audience"))
    source = DictionaryChoiceField(Source, label=_("Source"))
    channel = DictionaryChoiceField(Channel, label=_("Channel"))
    campaign = DictionaryChoiceField(Campaign, label=_("Campaign"))
    rating = forms.ChoiceField(label=_("Prospect rating"), required=False, choices=_empty() + list(Rating.choices))
    responsible = forms.ModelChoiceField(label=_("Responsible manager"), queryset=None, empty_label=None)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=NOTES_MAX,
                            widget=forms.Textarea(attrs={"rows": 3}))
    version = IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput,
                           error_messages={"invalid": STALE_FORM, "min_value": STALE_FORM,
                                           "max_value": STALE_FORM})

    FIELDS = ("kind", "name", "inn", "phone", "email", "website", "address", "requisites", "region", "industry",
              "target_audience", "source", "channel", "campaign", "rating", "responsible", "notes",
              "kpp", "ogrn", "legal_address", "bank_name", "bik", "settlement_account", "corr_account", "language")

    def __init__(self, *args, users, client, **kwargs):
        initial = {f: getattr(client, f) for f in self.FIELDS}
        initial["phone"] = format_phone(client.phone)
        initial["version"] = client.version
        super().__init__(*args, initial=initial, **kwargs)
        # A user outside the assignable list (another team's) stays selectable as the current value.
        self.fields["responsible"].queryset = (users | users.model.objects.filter(pk=client.responsible_id))
        for name in ("region", "industry", "target_audience", "source", "channel", "campaign"):
            current = getattr(client, f"{name}_id")
            if current:
                field = self.fields[name]
                field.queryset = field.queryset | field.queryset.model.objects.filter(pk=current)

    def changes(self, client) -> dict:
        """Only the fields the post contains and the user changed (the service writes and audits these).

        A field missing from the post is not an emptied field: it keeps its value.
        """
        return {f: v for f, v in self.cleaned_data.items()
                if f in self.FIELDS and f in self.data and getattr(client, f) != v and (v or f != "language")}

    def clean(self):
        data = super().clean()
        if self.has_error("version"):
            self.add_error(None, STALE_FORM)
        return data


class ContactForm(forms.Form):
    """Add a contact person (``add_contact``); field names match the service's error fields."""

    contact_name = forms.CharField(label=_("Name"), max_length=255)
    contact_position = forms.CharField(label=_("Position"), required=False, max_length=160)
    contact_phone = forms.CharField(label=_("Phone"), required=False, max_length=40,
                                    widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    contact_email = forms.CharField(label=_("Email"), required=False, max_length=254,
                                    widget=forms.EmailInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "contact_%s")
        super().__init__(*args, **kwargs)


class QualificationForm(forms.Form):
    """One text answer per active question (``answer_questions``); empty removes an answer."""

    def __init__(self, *args, sheet, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = []
        for question, answer in sheet:
            name = f"q_{question.pk}"
            self.fields[name] = forms.CharField(
                label=question.text, required=False, max_length=4000, initial=answer.answer if answer else "",
                widget=forms.Textarea(attrs={"rows": 2}))
            self.questions.append((question, answer, name))

    def answers(self) -> dict[int, str]:
        """The answers the post contains: a question whose field is absent keeps its answer (only an empty
        field that is present removes one)."""
        return {question.pk: self.cleaned_data.get(name, "") for question, _a, name in self.questions
                if name in self.data}

    def rows(self):
        """(question, answer, bound field) for the template."""
        return [(q, a, self[name]) for q, a, name in self.questions]

    @property
    def answered(self) -> int:
        return sum(1 for _q, a, _n in self.questions if a is not None)


class RefuseForm(forms.Form):
    lost_reason = forms.ModelChoiceField(label=_("Refusal reason"), queryset=None, empty_label="—",
                                         error_messages={"required": _("Choose a refusal reason."),
                                                         "invalid_choice": _("Choose a refusal reason.")})
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    open_deals = forms.ChoiceField(
        label=_("Open deals"), required=False, widget=forms.RadioSelect,
        choices=[("lose", _("Lose them with the same reason")), ("keep", _("Keep them open"))])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "refuse_%s")
        super().__init__(*args, **kwargs)
        self.fields["lost_reason"].queryset = _active(LostReason)


# --- quick add lead ---------------------------------------------------------------------------------------

class QuickAddForm(forms.Form):
    """Client + deal + first task in one form (``create_lead``)."""

    # client
    kind = forms.ChoiceField(label=_("Kind"), choices=ClientKind.choices, initial=ClientKind.COMPANY,
                             widget=forms.RadioSelect)
    name = forms.CharField(label=_("Company or person name"), required=False, max_length=255)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off",
                                                          "placeholder": "+7 916 123-45-67"}))
    email = forms.CharField(label=_("Email"), required=False, max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    inn = forms.CharField(label=_("INN"), required=False, max_length=20,
                          widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    region = DictionaryChoiceField(Region, label=_("Region"))
    source = DictionaryChoiceField(Source, label=_("Source"))
    channel = DictionaryChoiceField(Channel, label=_("Channel"))
    contact_name = forms.CharField(label=_("Contact's name"), required=False, max_length=255)
    contact_phone = forms.CharField(label=_("Contact's phone"), required=False, max_length=40,
                                    widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    contact_email = forms.CharField(label=_("Contact's email"), required=False, max_length=254,
                                    widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    # deal
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Deal title"), required=False, max_length=255,
                            help_text=_("Empty: the client's name."))
    amount = forms.CharField(label=_("Amount"), required=False, max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    product = DictionaryChoiceField(Product, label=_("Product"))
    # first task
    task_title = forms.CharField(label=_("What to do"), max_length=255, initial=_("Call the client"),
                                 error_messages={"required": _("Enter what has to be done.")})
    task_kind = forms.ChoiceField(label=_("Task type"), choices=TaskKind.choices, initial=TaskKind.CALL)
    task_due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"},
                                                                                  format="%Y-%m-%d"),
                                    error_messages={"required": _("Choose the due date."),
                                                    "invalid": _("Enter the date as YYYY-MM-DD.")})
    task_due_time = forms.TimeField(label=_("Time"), required=False,
                                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    # the choices of the duplicate warning
    allow_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)
    existing_client = IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                         widget=forms.HiddenInput)

    CLIENT_FIELDS = ("kind", "name", "phone", "email", "inn", "region", "source", "channel")
    SECTIONS = {
        "client": ("kind", "name", "phone", "email", "inn", "region", "source", "channel"),
        "contact": ("contact_name", "contact_phone", "contact_email"),
        "deal": ("pipeline", "title", "amount", "product"),
        "task": ("task_title", "task_kind", "task_due_date", "task_due_time"),
    }

    owner = forms.TypedChoiceField(label=_("Responsible manager"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, pipelines, owners=(), stage_required=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owners = {u.pk: u for u in owners}
        existing = self.data.get("existing_client") if self.is_bound else self.initial.get("existing_client")
        if not existing:
            self.fields["name"].widget.attrs["aria-required"] = "true"
        # The duplicate check while typing (clients:quick_add_check, debounced): phone, email and INN.
        from django.urls import reverse

        live = {"hx-get": reverse("clients:quick_add_check"), "hx-trigger": "input changed delay:400ms",
                "hx-include": "#id_phone, #id_email, #id_inn", "hx-target": "#live-duplicates",
                "hx-swap": "innerHTML", "hx-sync": "closest form:replace"}
        for name in ("phone", "email", "inn"):
            self.fields[name].widget.attrs.update(live)
        self.fields["owner"].choices = [("", _("Me")), *((u.pk, str(u)) for u in owners)]
        self.fields["pipeline"].queryset = pipelines
        self.fields["task_due_date"].initial = timezone.localdate
        default = next((p for p in pipelines if p.kind == "inbound"), None)
        if default is not None:
            self.fields["pipeline"].initial = default.pk
        self._mark_stage_required(stage_required or {})

    def _mark_stage_required(self, stage_required: dict[int, list[str]]) -> None:
        """Mark what the first stage of the chosen pipeline requires (before the first submit).

        ``stage_required`` maps a pipeline id to the field keys of its first stage; the pipeline select
        carries the map as ``data-required-map`` so the marks follow a change of pipeline (quick_add.js).
        """
        import json

        self.required_map = {str(pk): sorted({n for n in map(self.field_for, keys) if n and n != "pipeline"})
                             for pk, keys in stage_required.items()}
        self.fields["pipeline"].widget.attrs["data-required-map"] = json.dumps(self.required_map)
        chosen = self.data.get("pipeline") if self.is_bound else self.initial.get("pipeline")
        first = next(iter(self.fields["pipeline"].queryset), None)
        chosen = chosen or self.fields["pipeline"].initial or (first.pk if first else None)
        self.stage_required = set(self.required_map.get(str(chosen), ()))
        for name in self.stage_required:
            self.fields[name].widget.attrs.update({"required": True, "aria-required": "true"})

    def section(self, name):
        return [self[f] for f in self.SECTIONS[name]]

    def client_section(self):
        return self.section("client")

    def contact_section(self):
        return self.section("contact")

    def deal_section(self):
        return self.section("deal")

    def task_section(self):
        return self.section("task")

    def clean(self):
        data = super().clean()
        if not data.get("existing_client") and not (data.get("name") or "").strip() and "name" not in self.errors:
            self.add_error("name", _("Enter the client's name."))
        if data.get("owner") is not None and data["owner"] not in self.owners:
            self.add_error("owner", _("Choose a manager of your team."))
        return data

    def chosen_owner(self):
        """The responsible manager a lead or head chose (None: the actor himself)."""
        return self.owners.get(self.cleaned_data.get("owner"))

    def client_data(self) -> dict:
        d = self.cleaned_data
        client = {f: d.get(f) for f in self.CLIENT_FIELDS if d.get(f) not in (None, "")}
        client["contact"] = {"name": d.get("contact_name", ""), "phone": d.get("contact_phone", ""),
                             "email": d.get("contact_email", "")}
        return client

    def deal_data(self) -> dict:
        d = self.cleaned_data
        return {"pipeline": d["pipeline"], "title": d.get("title", ""), "amount": d.get("amount") or None,
                "product": d.get("product")}

    def task_data(self) -> dict:
        d = self.cleaned_data
        return {"title": d["task_title"], "kind": d["task_kind"], "due_date": d["task_due_date"],
                "due_time": d.get("task_due_time")}

    def field_for(self, key: str | None) -> str | None:
        """The form field that shows a service error about ``key`` (None: a general error)."""
        if key is None:
            return None
        spec = STANDARD.get(key)
        if spec is not None and spec.entity == FieldEntity.CLIENT:
            key = spec.attr
        key = LEAD_FIELD_MAP.get(key, key)
        return key if key in self.fields else None


# --- settings: qualification question sets --------------------------------------------------------------

class QuestionSetForm(forms.Form):
    name = forms.CharField(label=_("Name of the question set"), max_length=160)


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=500,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. “Who makes the decision?”")}))
