"""Forms of the catalog settings: custom fields and dictionaries (the rules live in catalog.services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.catalog.models import Channel, CustomFieldDefinition, FieldEntity, FieldType, Source
from voronka.catalog.selectors import DictionaryKind
from voronka.core.forms import DecimalField, IntegerField


class CustomFieldForm(forms.Form):
    """Create (entity and key included) or edit (entity and key fixed) a custom field definition."""

    entity = forms.ChoiceField(label=_("Applies to"), choices=FieldEntity.choices)
    label = forms.CharField(label=_("Label"), max_length=160)
    key = forms.CharField(label=_("Key"), required=False, max_length=64,
                          help_text=_("Latin letters, digits and “_”; made from the label when empty. "
                                      "It cannot be changed later."))
    field_type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    choices = forms.CharField(
        label=_("Choices"), required=False, max_length=20_000,
        help_text=_("For choice fields, one per line: “value|label” or just the label."),
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}))
    min_value = DecimalField(label=_("Minimum"), required=False, max_digits=18, decimal_places=6,
                             help_text=_("Number and money fields: the smallest value allowed "
                                         "(money: 0 when empty)."))
    max_value = DecimalField(label=_("Maximum"), required=False, max_digits=18, decimal_places=6,
                             help_text=_("Number and money fields: the largest value allowed."))
    decimal_places = IntegerField(label=_("Decimal places"), required=False, min_value=0, max_value=6,
                                  help_text=_("Number fields: digits allowed after the point (6 when empty)."))
    help_text = forms.CharField(
        label=_("Help text"), required=False, max_length=2000,
        help_text=_("Shown under the field in deal and client forms: what to enter and why. Markdown allowed."),
        widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    sort_order = IntegerField(label=_("Order"), required=False, min_value=0, max_value=1_000_000)

    def __init__(self, *args, definition: CustomFieldDefinition | None = None, **kwargs):
        if definition is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "label": definition.label, "field_type": definition.field_type, "is_active": definition.is_active,
                "sort_order": definition.sort_order, "min_value": definition.min_value,
                "max_value": definition.max_value, "decimal_places": definition.decimal_places,
                "help_text": definition.help_text,
                "choices": "\n".join(f"{c.get('value')}|{c.get('label')}" if isinstance(c, dict) else str(c)
                                     for c in definition.choices or []),
            }
        super().__init__(*args, **kwargs)
        if definition is not None:
            del self.fields["entity"]
            del self.fields["key"]

    def clean_choices(self) -> list[dict[str, str]]:
        parsed = []
        for line in (self.cleaned_data.get("choices") or "").splitlines():
            line = line.strip()
            if not line:
                continue
            value, sep, label = line.partition("|")
            parsed.append({"value": value.strip(), "label": label.strip()} if sep else {"value": "", "label": line})
        return parsed


class DictionaryItemForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, item=None, **kwargs):
        if item is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(item, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)
        if item is None:
            del self.fields["is_active"]  # a new entry is active


class ProductForm(DictionaryItemForm):
    sku = forms.CharField(label=_("SKU"), required=False, max_length=64)
    price = DecimalField(label=_("Price"), min_value=0, max_digits=14, decimal_places=2, initial=0)
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3, initial="RUB")

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, item=item, **kwargs)
        self.fields["price"].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})
        self.fields["currency"].widget.attrs.update({"size": 4, "autocapitalize": "characters"})


class CampaignForm(DictionaryItemForm):
    source = forms.ModelChoiceField(label=_("Source"), required=False, queryset=Source.objects.none(),
                                    empty_label="—")
    channel = forms.ModelChoiceField(label=_("Channel"), required=False, queryset=Channel.objects.none(),
                                     empty_label="—")
    cost = DecimalField(label=_("Cost"), min_value=0, max_digits=14, decimal_places=2, initial=0)
    starts_on = forms.DateField(label=_("Starts on"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("Ends on"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, item=None, **kwargs):
        if item is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {"name": item.name, "is_active": item.is_active, "source": item.source_id,
                                 "channel": item.channel_id, "cost": item.cost, "starts_on": item.starts_on,
                                 "ends_on": item.ends_on}
        super().__init__(*args, item=item, **kwargs)
        self.fields["source"].queryset = Source.objects.order_by("sort_order", "name")
        self.fields["channel"].queryset = Channel.objects.order_by("sort_order", "name")
        self.fields["cost"].widget.attrs.update({"step": "0.01", "inputmode": "decimal"})

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The campaign cannot end before it starts."))
        return data


def dictionary_form_class(spec: DictionaryKind) -> type[DictionaryItemForm]:
    return {"products": ProductForm, "campaigns": CampaignForm}.get(spec.slug, DictionaryItemForm)

