"""Forms of billing: they only collect input; the services validate and write (field errors come back)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import PaymentMethod, ShipmentStatus, VatRate


class RequisitesForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), required=False, max_length=255)
    inn = forms.CharField(label=_("INN"), required=False, max_length=20)
    kpp = forms.CharField(label=_("KPP"), required=False, max_length=20)
    ogrn = forms.CharField(label=_("OGRN"), required=False, max_length=30)
    address = forms.CharField(label=_("Legal address"), required=False, max_length=500)
    bank_name = forms.CharField(label=_("Bank"), required=False, max_length=255)
    bik = forms.CharField(label=_("BIK"), required=False, max_length=20)
    corr_account = forms.CharField(label=_("Correspondent account"), required=False, max_length=40)
    settlement_account = forms.CharField(label=_("Settlement account"), required=False, max_length=40)
    director = forms.CharField(label=_("Director"), required=False, max_length=160)
    accountant = forms.CharField(label=_("Chief accountant"), required=False, max_length=160)
    vat_rate = forms.ChoiceField(label=_("Default VAT rate"), choices=VatRate.choices)
    prices_include_vat = forms.BooleanField(label=_("Prices include VAT"), required=False)
    payment_days = forms.IntegerField(label=_("Days to pay"), min_value=0, max_value=365)

    FIELDS = ("legal_name", "inn", "kpp", "ogrn", "address", "bank_name", "bik", "corr_account",
              "settlement_account", "director", "accountant", "vat_rate", "prices_include_vat", "payment_days")


class RequisitesImagesForm(forms.Form):
    """The logo, stamp and signature (files; each optional, a checkbox removes the current one)."""

    logo = forms.FileField(label=_("Logo"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}))
    stamp = forms.FileField(label=_("Stamp"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}))
    signature = forms.FileField(label=_("Director's signature"), required=False,
                                widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}))
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    remove_stamp = forms.BooleanField(label=_("Remove the stamp"), required=False)
    remove_signature = forms.BooleanField(label=_("Remove the signature"), required=False)


class InvoiceForm(forms.Form):
    """Which part of the deal to invoice: all lines, chosen lines, or a share."""

    MODES = (("all", _("All lines")), ("lines", _("Chosen lines")), ("share", _("A share (partial invoice)")))
    mode = forms.ChoiceField(label=_("Invoice"), choices=MODES, initial="all", widget=forms.RadioSelect)
    lines = forms.MultipleChoiceField(label=_("Lines"), required=False, widget=forms.CheckboxSelectMultiple)
    share_pct = forms.DecimalField(label=_("Share, %"), required=False, min_value=Decimal("0.01"),
                                   max_value=Decimal("100"), decimal_places=2, max_digits=5)
    due_date = forms.DateField(label=_("Due date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               help_text=_("Empty: the days to pay of the company requisites."))
    comment = forms.CharField(label=_("Payment purpose"), required=False, max_length=500)
    draft = forms.BooleanField(label=_("Save as a draft (no number yet)"), required=False)

    def __init__(self, *args, deal_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(str(line.pk), str(line)) for line in deal_lines]


class PlanForm(forms.Form):
    instalments = forms.IntegerField(label=_("Equal instalments"), required=False, min_value=1, max_value=60)
    first_due = forms.DateField(label=_("First payment"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    every_days = forms.IntegerField(label=_("Every N days"), required=False, min_value=1, max_value=366,
                                    initial=30)
    rows = forms.CharField(label=_("Or typed rows"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-10 100000\n2027-01-10 80000"}),
                           help_text=_("One row a line: the date (YYYY-MM-DD) and the amount."))


class PaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount"), max_length=32,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    paid_on = forms.DateField(label=_("Date"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=255)
    plan_row = forms.CharField(label=_("Plan row paid"), required=False, max_length=20)


class ShipmentForm(forms.Form):
    number = forms.CharField(label=_("Waybill number"), max_length=64)
    shipped_on = forms.DateField(label=_("Date"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    status = forms.ChoiceField(label=_("Status"), choices=[(s.value, s.label) for s in ShipmentStatus
                                                           if s != ShipmentStatus.RETURNED])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args, to_ship=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.product_keys = []
        for row in to_ship:
            key = f"qty_{row.product_id}"
            self.product_keys.append((key, row))
            self.fields[key] = forms.DecimalField(
                label=row.name, required=False, min_value=Decimal("0"), max_digits=12, decimal_places=3,
                initial=row.remaining if row.remaining > 0 else None,
                help_text=_("Left to ship: %(n)s") % {"n": f"{row.remaining.normalize():f}"})

    def quantities(self) -> dict[int, Decimal]:
        return {row.product_id: self.cleaned_data.get(key) for key, row in self.product_keys
                if self.cleaned_data.get(key)}


class ActForm(forms.Form):
    """A service act: its date, the quantities per product of the deal (default: all left to deliver)."""

    act_date = forms.DateField(label=_("Date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               help_text=_("Empty: today."))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)
    draft = forms.BooleanField(label=_("Save as a draft (no number yet)"), required=False)

    def __init__(self, *args, to_deliver=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.product_keys = []
        for row in to_deliver:
            key = f"qty_{row.product_id}"
            self.product_keys.append((key, row))
            self.fields[key] = forms.DecimalField(
                label=row.name, required=False, min_value=Decimal("0"), max_digits=12, decimal_places=3,
                initial=row.remaining if row.remaining > 0 else None,
                help_text=_("Left to deliver: %(n)s") % {"n": f"{row.remaining.normalize():f}"})

    def quantities(self) -> dict[int, Decimal]:
        return {row.product_id: self.cleaned_data.get(key) for key, row in self.product_keys
                if self.cleaned_data.get(key)}
