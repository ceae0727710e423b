"""Forms of mailings: template and sequence settings, a step, the send dialog, manual enrolment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.catalog.models import LostReason, Product
from voronka.core.forms import IntegerField
from voronka.mailings.models import EmailTemplate, Language, SequenceKind
from voronka.mailings.rendering import VARIABLES
from voronka.pipelines.models import Pipeline


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}), max_length=10_000,
                           help_text=_("Variables: %(names)s") % {"names": ", ".join(f"{{{{ {v} }}}}" for v in VARIABLES)})
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, template: EmailTemplate | None = None, **kwargs):
        if template is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {"name": template.name, "language": template.language, "subject": template.subject,
                                 "body": template.body, "is_active": template.is_active}
        super().__init__(*args, **kwargs)


class SequenceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=SequenceKind.choices)
    lost_reasons = forms.ModelMultipleChoiceField(label=_("Enrol deals lost with"), required=False,
                                                  queryset=LostReason.objects.none(),
                                                  widget=forms.CheckboxSelectMultiple)
    on_refusal = forms.BooleanField(label=_("Enrol clients put on the refusal list"), required=False)
    enrol_delay_days = IntegerField(label=_("Enrol after, days"), min_value=0, max_value=3650, initial=0)
    return_pipeline = forms.ModelChoiceField(label=_("Return pipeline"), required=False,
                                             queryset=Pipeline.objects.none(),
                                             help_text=_("Empty: the first active Return pipeline."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, sequence=None, **kwargs):
        if sequence is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {"name": sequence.name, "kind": sequence.kind,
                                 "lost_reasons": list(sequence.lost_reasons.all()), "on_refusal": sequence.on_refusal,
                                 "enrol_delay_days": sequence.enrol_delay_days,
                                 "return_pipeline": sequence.return_pipeline, "is_active": sequence.is_active}
        super().__init__(*args, **kwargs)
        self.fields["lost_reasons"].queryset = LostReason.objects.filter(is_active=True).order_by("sort_order", "pk")
        self.fields["return_pipeline"].queryset = Pipeline.objects.filter(is_active=True).order_by("sort_order")


class StepForm(forms.Form):
    template = forms.ModelChoiceField(label=_("Template"), queryset=EmailTemplate.objects.none())
    delay_days = IntegerField(label=_("Days after the previous step"), min_value=0, max_value=3650, initial=7)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = EmailTemplate.objects.filter(is_active=True).order_by("name", "language")


class SendForm(forms.Form):
    template = forms.ModelChoiceField(label=_("Template"), queryset=EmailTemplate.objects.none())
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = EmailTemplate.objects.filter(is_active=True).order_by("name", "language")


class EnrolForm(forms.Form):
    sequence = forms.ChoiceField(label=_("Sequence"))

    def __init__(self, *args, sequences=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sequence"].choices = [(s.pk, s.name) for s in sequences]


class RenewalRuleForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none())
    term_months = IntegerField(label=_("Term, months"), min_value=1, max_value=240, initial=12)
    days_before = IntegerField(label=_("Open the renewal deal, days before the end"), min_value=0, max_value=3650,
                               initial=30)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.none())
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(is_active=True).order_by("sort_order", "name")
        self.fields["pipeline"].queryset = Pipeline.objects.filter(is_active=True).order_by("sort_order")
        renewal = self.fields["pipeline"].queryset.filter(kind="renewal").first()
        if renewal is not None:
            self.fields["pipeline"].initial = renewal.pk


class UpsellRuleForm(forms.Form):
    product = forms.ModelChoiceField(label=_("After a won deal with"), queryset=Product.objects.none())
    offer = forms.ModelChoiceField(label=_("Offer"), queryset=Product.objects.none())
    after_days = IntegerField(label=_("After, days"), min_value=0, max_value=3650, initial=30)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.none())
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(is_active=True).order_by("sort_order", "name")
        self.fields["product"].queryset = products
        self.fields["offer"].queryset = products
        self.fields["pipeline"].queryset = Pipeline.objects.filter(is_active=True).order_by("sort_order")
