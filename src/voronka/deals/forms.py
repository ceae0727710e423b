"""Forms of the deal screens: they parse and shape input; the rules live in ``deals.services``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.activities.models import TaskKind
from voronka.catalog.fields import MISSING, FieldRegistry, LinesSpec, deal_fields
from voronka.catalog.models import (
    Channel,
    LostReason,
    Product,
    Region,
    Source,
)
from voronka.clients.models import Rating
from voronka.clients.selectors import question_id_from_key, question_texts
from voronka.core.errors import DomainError
from voronka.core.forms import DecimalField, IntegerField
from voronka.core.params import parse_id
from voronka.deals.models import DealStatus
from voronka.deals.services import LINES_AMOUNT_KEY

MAX_ID = 2**31 - 1
MAX_IDS = 500
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}


def _active(model):
    return model.objects.filter(is_active=True).order_by("sort_order", "name")


STALE_FORM = _("This form is out of date or damaged: reload the page and try again.")


def _id_field(**kwargs) -> IntegerField:
    return IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _choices(rows, empty=None) -> list[tuple[str, str]]:
    return [("", empty or "—")] + [(str(pk), str(label)) for pk, label in rows]


# --- filters ------------------------------------------------------------------------------------------------

class DealFilterForm(forms.Form):
    """The GET filters of the board and the list; only for rendering (``DealFilter.from_params`` parses)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Deal or client")}))
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    product = forms.ChoiceField(label=_("Product"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    rating = forms.ChoiceField(label=_("Rating"), required=False,
                               choices=[("", _("Any rating"))] + [(r.value, r.value) for r in Rating])
    pipeline = forms.ChoiceField(label=_("Pipeline"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *DealStatus.choices])
    overdue = forms.BooleanField(label=_("Overdue tasks only"), required=False)
    no_task = forms.BooleanField(label=_("Without a task"), required=False)

    BOARD_FIELDS = ("q", "owner", "team", "source", "channel", "product", "region", "rating", "overdue")

    def __init__(self, *args, users=(), teams=(), pipelines=(), board: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = _choices(((u.pk, u) for u in users), _("Any owner"))
        self.fields["team"].choices = _choices(((t.pk, t) for t in teams), _("Any team"))
        for name, model, empty in (("source", Source, _("Any source")), ("channel", Channel, _("Any channel")),
                                   ("product", Product, _("Any product")), ("region", Region, _("Any region"))):
            self.fields[name].choices = _choices(_active(model).values_list("pk", "name"), empty)
        if board:
            for name in list(self.fields):
                if name not in self.BOARD_FIELDS:
                    del self.fields[name]
            return
        self.fields["pipeline"].choices = _choices(((p.pk, p) for p in pipelines), _("Any pipeline"))
        stage_choices: list[Any] = [("", _("Any stage"))]
        for p in pipelines:
            # Archived stages stay findable here (closed deals keep them), marked as such.
            stage_choices.append((str(p), [(str(s.pk), _("%(stage)s (archived)") % {"stage": s.name}
                                            if s.is_archived else s.name) for s in p.stages.all()]))
        self.fields["stage"].choices = stage_choices

    @property
    def active_count(self) -> int:
        data = self.data or {}
        return sum(1 for name in self.fields if data.get(name) not in (None, ""))


# --- the fields a stage asks for ----------------------------------------------------------------------------

def _html_id(key: str) -> str:
    return "rf-" + key.replace(":", "-").replace(".", "-").replace("_", "-")


AMOUNT_CHOICE = LINES_AMOUNT_KEY


class DealValuesForm(forms.Form):
    """Inputs of deal fields named by their registry keys (``amount``, ``client.region``, ``cf:<key>`` ...).

    Each field's input, initial value and posted value come from its spec in ``catalog.fields``, so a
    service error's ``field`` lands on its input. ``lines`` is one product line (product, quantity,
    price). ``values()`` gives what ``move_deal``/``win_deal``/``update_deal`` take as ``values``.
    """

    LINE_FIELDS = LinesSpec.INPUTS

    def __init__(self, *args, keys: list[str], deal=None, registry: FieldRegistry | None = None,
                 required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.registry = registry or deal_fields()
        self.deal = deal
        self.specs: dict[str, Any] = {}  # key -> its FieldSpec (None: a qualification question)
        question_ids = [qid for qid in map(question_id_from_key, keys) if qid is not None]
        texts = question_texts(question_ids) if question_ids else {}
        for key in dict.fromkeys(keys):
            question_id = question_id_from_key(key)
            if question_id is not None:  # the client's answer to a qualification question a stage requires
                if question_id in texts:
                    self.specs[key] = None
                    self.fields[key] = forms.CharField(
                        label=texts[question_id], required=required, max_length=4000,
                        widget=forms.Textarea(attrs={"rows": 2, "id": _html_id(key)}))
                continue
            spec = self.registry.get(key)
            if spec is None or not spec.editable:
                continue
            self.specs[key] = spec
            for name, field in spec.form_fields(deal=deal, required=required).items():
                field.widget.attrs.setdefault("id", _html_id(name))
                self.fields[name] = field
            initial = spec.initial(deal) if deal is not None else None
            if initial not in (None, "", []):
                self.initial.setdefault(key, initial)
        self.keys = list(self.specs)
        self.amount_before = None
        if "lines" in self.specs and deal is not None and deal.pk is not None \
                and (deal.amount or "amount" in self.specs) and not deal.lines.exists():
            # The first lines replace an entered amount: the user sees both and chooses (deals.services).
            self.amount_before = deal.amount
            self.fields[AMOUNT_CHOICE] = forms.BooleanField(
                label=_("Make the lines total the deal amount"), required=False,
                widget=forms.CheckboxInput(attrs={"id": _html_id(AMOUNT_CHOICE)}))
        if "lines_product" in self.fields:
            products = list(self.fields["lines_product"].queryset)
            self.fields["lines_product"].widget.attrs.update({
                "data-prices": json.dumps({str(p.pk): str(p.price) for p in products}),
                "data-price-field": _html_id("lines_price")})

    # reading
    @property
    def line_fields(self) -> list:
        return [self[name] for name in self.LINE_FIELDS if name in self.fields]

    @property
    def plain_fields(self) -> list:
        return [self[name] for name in self.fields if name not in self.LINE_FIELDS and name != AMOUNT_CHOICE]

    @property
    def amount_choice(self):
        return self[AMOUNT_CHOICE] if AMOUNT_CHOICE in self.fields else None

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, spec in self.specs.items():
            value = self.cleaned_data.get(key, MISSING) if spec is None else spec.form_value(self.cleaned_data)
            if value is not MISSING:
                out[key] = value
        if AMOUNT_CHOICE in self.fields and out.get("lines"):
            out[AMOUNT_CHOICE] = bool(self.cleaned_data.get(AMOUNT_CHOICE))
        return out

    def owns(self, field: str | None) -> bool:
        """Whether a service error on ``field`` belongs to one of this form's inputs."""
        return bool(field) and (field in self.specs or (field == AMOUNT_CHOICE and field in self.fields))

    def add_service_error(self, exc) -> None:
        """Put a DomainError on its input (``lines`` → the product select)."""
        name = "lines_product" if exc.field == "lines" else exc.field
        self.add_error(name if name in self.fields else None, exc.message)


# --- moves and outcomes ---------------------------------------------------------------------------------------

class BoardContextForm(forms.Form):
    """Where an action came from: ``ctx=board`` (re-render columns with ``filters``) or the deal page."""

    ctx = forms.ChoiceField(required=False, choices=[("", ""), ("board", "board"), ("page", "page")],
                            widget=forms.HiddenInput)
    filters = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    version = _id_field(required=False, widget=forms.HiddenInput, error_messages={
        "invalid": STALE_FORM, "min_value": STALE_FORM, "max_value": STALE_FORM})

    def clean(self):
        data = super().clean()
        if self.has_error("version"):  # a hidden field: say it where the dialog shows it
            self.add_error(None, STALE_FORM)
        return data

    def posted_version(self) -> int | None:
        """The version the page showed (None when the post has none); a malformed one is a DomainError,
        so it can never switch the stale-edit check off."""
        if self.data.get("version") in (None, ""):
            return None
        if not self.is_valid() and self.has_error("version"):
            raise DomainError(STALE_FORM, field="version", code="stale")
        return self.cleaned_data["version"]


class MoveForm(BoardContextForm):
    stage = _id_field(error_messages={"required": _("Choose a stage."), "invalid": _("Choose a stage."),
                                      "min_value": _("Choose a stage."), "max_value": _("Choose a stage.")})


class WinForm(BoardContextForm):
    amount = DecimalField(label=_("Amount"), required=False, **MONEY,
                                error_messages={"required": _("Enter the amount of the won deal.")},
                                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal",
                                                                "id": "win-amount"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The dialog shows the amount prefilled: emptying it must not silently keep the old one.
        self.fields["amount"].required = settings.VORONKA_WON_REQUIRES_AMOUNT


class LoseForm(BoardContextForm):
    lost_reason = forms.ModelChoiceField(label=_("Lost reason"), queryset=LostReason.objects.none(),
                                         empty_label="—",
                                         error_messages={"required": _("Choose the lost reason."),
                                                         "invalid_choice": _("Choose the lost reason.")})
    comment = forms.CharField(label=_("Comment"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3,
                                                           "placeholder": _("What happened, in a few words")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lost_reason"].queryset = _active(LostReason)


class PipelineChangeForm(BoardContextForm):
    """Move to another pipeline: the pipeline, and a stage of it (its first stage when left empty)."""

    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int,
                                      error_messages={"required": _("Choose the pipeline."),
                                                      "invalid_choice": _("Choose the pipeline.")})
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int, required=False, empty_value=None,
                                   error_messages={"invalid_choice": _("Choose a stage of that pipeline.")})

    def __init__(self, *args, pipelines=(), stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = [(p.pk, p.name) for p in pipelines]
        self.fields["stage"].choices = [("", _("First stage"))] + [(s.pk, s.name) for s in stages]


class ReopenForm(BoardContextForm):
    task_title = forms.CharField(label=_("Next task"), max_length=255,
                                 error_messages={"required": _("Enter what has to be done.")})
    task_kind = forms.ChoiceField(label=_("Type"), choices=TaskKind.choices, initial=TaskKind.CALL)
    task_due_date = forms.DateField(label=_("Due date"), widget=DATE_INPUT,
                                    error_messages={"required": _("Choose the due date.")})
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int, required=False)

    def __init__(self, *args, stages=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(s.pk, s.name) for s in stages]
        if current is not None:
            self.fields["stage"].initial = current.pk
        self.fields["task_due_date"].initial = timezone.localdate() + dt.timedelta(days=1)
        self.fields["task_due_date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def task(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"title": data["task_title"], "kind": data["task_kind"], "due_date": data["task_due_date"]}


# --- list: bulk reassign ----------------------------------------------------------------------------------

class IdListField(forms.Field):
    """Many ``name=<id>`` values; junk ids are dropped, at most ``MAX_IDS`` kept."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        ids: list[int] = []
        for raw in value or []:
            number = parse_id(raw, maximum=MAX_ID)
            if number is not None and number not in ids:
                ids.append(number)
        return ids[:MAX_IDS]

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(_("Select at least one deal."), code="required")


class BulkReassignForm(forms.Form):
    deal = IdListField()
    owner = forms.TypedChoiceField(label=_("New owner"), coerce=int,
                                   error_messages={"required": _("Choose the new owner."),
                                                   "invalid_choice": _("Choose the new owner.")})
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {u.pk: u for u in users}
        self.fields["owner"].choices = [("", "—")] + [(u.pk, str(u)) for u in users]


# --- deal page: lines ---------------------------------------------------------------------------------------

class LineForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False,
                                     empty_label="—")
    quantity = DecimalField(label=_("Quantity"), max_digits=12, decimal_places=3, required=False,
                                  min_value=Decimal("0.001"), widget=forms.NumberInput(attrs={"step": "any"}))
    price = DecimalField(label=_("Price"), required=False, **MONEY,
                               widget=forms.NumberInput(attrs={"step": "0.01"}))
    discount_pct = DecimalField(label=_("Discount, %"), required=False, max_digits=5, decimal_places=2,
                                      min_value=Decimal("0"), max_value=Decimal("100"),
                                      widget=forms.NumberInput(attrs={"step": "0.01"}))

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products if products is not None else _active(Product)

    def line(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data or data.get("DELETE") or data.get("product") is None:
            return None
        line: dict[str, Any] = {"product": data["product"].pk, "quantity": data.get("quantity") or 1,
                                "discount_pct": data.get("discount_pct") or 0}
        if data.get("price") is not None:
            line["price"] = data["price"]
        return line


LineFormSet = forms.formset_factory(LineForm, extra=2, can_delete=True, max_num=100, absolute_max=200)


def lines_formset(*, data=None, lines=(), products=None) -> Any:
    """A formset of the deal's lines plus two empty rows; one products query shared by all rows."""
    if products is None:
        products = list(_active(Product))
    choices = ModelChoicesCache(products)
    initial = [{"product": line.product_id, "quantity": line.quantity, "price": line.price,
                "discount_pct": line.discount_pct} for line in lines]
    formset = LineFormSet(data=data, initial=initial, prefix="lines", form_kwargs={"products": choices.queryset})
    for form in formset.forms:
        form.fields["product"].choices = choices.choices
    return formset


def _line_key(spec: dict[str, Any], prices: dict[int, Decimal]) -> tuple:
    product = int(spec["product"])
    price = spec.get("price")
    return (product, Decimal(str(spec.get("quantity", 1))), Decimal(str(prices.get(product, 0) if price is None
                                                                        else price)),
            Decimal(str(spec.get("discount_pct", 0))))


def posted_lines(formset, lines, data) -> list[dict[str, Any]] | None:
    """The lines after a post of the lines formset, or None when the post changes nothing.

    Only an explicit deletion deletes: a row whose "remove" box is ticked or whose product select is posted
    empty. A row of an existing line that the post does not contain (``lines-TOTAL_FORMS=0``, a cut-off
    post) keeps that line.
    """
    forms_ = list(formset.forms)
    out: list[dict[str, Any]] = []
    kept = [{"product": line.product_id, "quantity": line.quantity, "price": line.price,
             "discount_pct": line.discount_pct} for line in lines]
    for index, current in enumerate(kept):
        form = forms_[index] if index < len(forms_) else None
        if form is None or form.add_prefix("product") not in data:
            out.append(current)
            continue
        spec = form.line()
        if spec is not None:
            out.append(spec)
    out += [spec for spec in (form.line() for form in forms_[len(kept):]) if spec is not None]
    prices = {line.product_id: line.product.price for line in lines}
    if len(out) == len(kept) and all(
            spec["product"] in prices and _line_key(spec, prices) == _line_key(old, prices)
            for spec, old in zip(out, kept, strict=True)):
        return None
    return out


class ModelChoicesCache:
    """Choices built once for many selects (a formset would query the products per row otherwise)."""

    def __init__(self, products: list[Product]) -> None:
        self.products = products
        self.queryset = Product.objects.filter(pk__in=[p.pk for p in products]) if products else Product.objects.none()
        self.choices = [("", "—")] + [(p.pk, p.name) for p in products]
