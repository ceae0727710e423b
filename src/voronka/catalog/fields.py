"""The one registry of deal fields (and of the client fields a deal shows): key, label, kind, form field,
how to read, parse, set and display a value, whether it is filled, its API schema and report slice.

Keys: a standard deal field (``amount``, ``source``, ``lines`` ...), a client field seen from the deal
(``client.region``, ``client.inn``), a custom field (``cf:<key>`` on the deal, ``client.cf:<key>`` on its
client). Forms, the stage rules, the deal services, the deal page, the settings of stages and (next) the
API, imports and report slices all read this module, so a key means the same everywhere.

It lives in ``catalog`` (dictionaries and custom field definitions) so that every app above may use it;
it imports models only, never services or views, and reads deals and clients through their attributes.
The standard specs are constants; custom specs come from one query per registry, and a registry lives
for one call site (a request, a service call): nothing outlives a request.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.apps import apps
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.catalog.models import (
    Campaign,
    Channel,
    CustomFieldDefinition,
    FieldEntity,
    FieldType,
    Industry,
    Product,
    Region,
    Source,
    TargetAudience,
)
from voronka.core import money
from voronka.core.currency import CURRENCY_CHOICES, ISO_4217_CODES, normalize_currency
from voronka.core.errors import DomainError
from voronka.core.formatting import format_money
from voronka.core.requisites import normalize_requisite

MONEY_MAX = money.money_limit()  # Deal.amount, DealLine.price: 14 digits, 2 after the point
QUANTITY_MAX = money.column_limit(money.QUANTITY_DIGITS, money.QUANTITY_PLACES) - Decimal("0.001")
NUMBER_MAX = Decimal("1e15")  # custom "number" fields: beyond that a value is a typo or an attack
MAX_ID = 2**63 - 1
MAX_LINES = 100
_ASCII_ID = re.compile(r"[0-9]{1,19}", re.ASCII)
_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_TRUE = {"1", "true", "yes", "on", "да"}
_FALSE = {"0", "false", "no", "off", "нет"}


class Kind:
    """The API type of a field (what the API, imports and forms agree on)."""

    TEXT = "text"
    MONEY = "money"
    NUMBER = "number"
    DATE = "date"
    FK = "fk"
    LINES = "lines"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    BOOLEAN = "boolean"


# --- parsers of untrusted values: ASCII digits only, a DomainError naming the field otherwise ----------------

def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def parse_money(value: Any, *, field: str) -> Decimal | None:
    """An amount (``core.money``: ASCII digits, fits the money columns), ``None`` for an empty value."""
    return None if _empty(value) else money.parse_money(value, field=field)


def parse_date(value: Any, *, field: str) -> dt.date | None:
    """A date as ``YYYY-MM-DD`` (ASCII digits) or a ``date``; ``None`` for an empty value."""
    if _empty(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if not _ASCII_DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise DomainError(gettext("Enter the date as YYYY-MM-DD."), field=field) from exc


def parse_pk(value: Any) -> int | None:
    """A database id from ASCII digits (or an int), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not _ASCII_ID.fullmatch(text):
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def _unknown_value(field: str) -> DomainError:
    return DomainError(gettext("Choose a value from the list."), field=field, code="unknown_value")


# --- the change a set of values makes ---------------------------------------------------------------------

@dataclass
class ChangeSet:
    """What ``FieldRegistry.apply`` did to a deal in memory, and what the service still has to write.

    ``deal_fields``: attributes set on the deal (save them); ``custom``: deal custom values, already
    merged into ``deal.custom``; ``client``: ``update_client`` keyword values; ``client_custom``: client
    custom values (``update_client(custom=...)``); ``lines``: product lines to replace (``None``: untouched).
    """

    deal_fields: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    client: dict[str, Any] = field(default_factory=dict)
    client_custom: dict[str, Any] = field(default_factory=dict)
    lines: list[dict[str, Any]] | None = None

    @property
    def touches_client(self) -> bool:
        return bool(self.client or self.client_custom)


# --- specs --------------------------------------------------------------------------------------------------

def _active(model):
    return model.objects.filter(is_active=True).order_by("sort_order", "name")


@dataclass(frozen=True, kw_only=True)
class FieldSpec:
    """One field. ``entity`` says where the value lives (the deal, or the deal's client)."""

    key: str
    label: Any
    kind: str
    entity: str = FieldEntity.DEAL
    attr: str = ""
    requirable: bool = True  # a stage may require it
    editable: bool = True  # services and forms accept it as a value
    inline: bool = False  # editable in place on the deal page
    slice: bool = False  # reports may group by it
    orm_path: str = ""  # lookup from Deal (filters, report grouping)
    max_length: int = 2000

    # where the value lives
    def target(self, deal):
        return deal.client if self.entity == FieldEntity.CLIENT else deal

    @property
    def api_type(self) -> str:
        return self.kind

    # reading
    def read(self, deal) -> Any:
        return getattr(self.target(deal), self.attr, None)

    def is_filled(self, deal) -> bool:
        return not _empty(self.read(deal))

    def display(self, deal) -> str:
        value = self.read(deal)
        return "" if _empty(value) else str(value)

    def initial(self, deal) -> Any:
        """The value a form shows for the deal."""
        return self.read(deal)

    # writing
    def parse(self, raw: Any, *, deal=None) -> Any:
        if _empty(raw):
            return ""
        text = str(raw).strip()
        if len(text) > self.max_length:
            raise DomainError(gettext("At most %(n)s characters.") % {"n": self.max_length}, field=self.key)
        return text

    def apply(self, deal, value: Any, changes: ChangeSet) -> None:
        """Set a parsed value on the deal in memory (client values go to ``changes`` for ``update_client``)."""
        if self.entity == FieldEntity.CLIENT:
            changes.client[self.attr] = value
        else:
            setattr(deal, self.attr, value)
            changes.deal_fields.append(self.attr)

    # forms and the API
    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        return forms.CharField(label=self.label, required=required, max_length=self.max_length)

    def form_fields(self, *, deal=None, required: bool = True) -> dict[str, forms.Field]:
        """The inputs of the field by name (one, except for ``lines``)."""
        return {self.key: self.form_field(deal=deal, required=required)}

    def form_value(self, cleaned: dict[str, Any]) -> Any:
        """What the service takes as the value, from a form's cleaned data (``MISSING``: nothing posted)."""
        value = cleaned.get(self.key)
        if hasattr(value, "pk"):
            return value.pk
        if isinstance(value, dt.date):
            return value.isoformat()
        return "" if value is None else value

    def api_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": ["string", "null"], "maxLength": self.max_length}
        return self._schema(schema)

    def _schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        schema.update({"title": str(self.label), "x-voronka-kind": self.kind, "x-voronka-entity": self.entity})
        if not self.editable:
            schema["readOnly"] = True
        return schema


@dataclass(frozen=True, kw_only=True)
class TitleSpec(FieldSpec):
    def parse(self, raw: Any, *, deal=None) -> Any:
        text = super().parse(raw, deal=deal)
        if not text:
            raise DomainError(gettext("Enter the deal title."), field=self.key)
        return text


@dataclass(frozen=True, kw_only=True)
class CurrencySpec(FieldSpec):
    def parse(self, raw: Any, *, deal=None) -> Any:
        code = normalize_currency(raw)
        if code is None:
            raise DomainError(gettext("Enter an ISO 4217 currency code, e.g. RUB, USD or EUR."), field=self.key)
        return code

    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        return forms.ChoiceField(label=self.label, required=required, choices=CURRENCY_CHOICES)

    def api_schema(self) -> dict[str, Any]:
        return self._schema({"type": "string", "enum": list(ISO_4217_CODES)})


@dataclass(frozen=True, kw_only=True)
class MoneySpec(FieldSpec):
    """The deal amount: empty means 0; filled means > 0."""

    def is_filled(self, deal) -> bool:
        value = self.read(deal)
        return value is not None and Decimal(value) > 0

    def display(self, deal) -> str:
        value = self.read(deal)
        return format_money(value, getattr(deal, "currency", "")) if value else ""

    def initial(self, deal) -> Any:
        value = self.read(deal)
        return value if value and value > 0 else None

    def parse(self, raw: Any, *, deal=None) -> Decimal:
        value = parse_money(raw, field=self.key)
        return Decimal("0.00") if value is None else value

    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        return forms.DecimalField(label=self.label, required=required, max_digits=14, decimal_places=2,
                                  min_value=Decimal("0"), max_value=MONEY_MAX,
                                  widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))

    def api_schema(self) -> dict[str, Any]:
        return self._schema({"type": "string", "format": "decimal", "pattern": r"^\d{1,12}(\.\d{1,2})?$"})


@dataclass(frozen=True, kw_only=True)
class DateSpec(FieldSpec):
    def display(self, deal) -> str:
        value = self.read(deal)
        return date_format(value, "SHORT_DATE_FORMAT") if value else ""

    def parse(self, raw: Any, *, deal=None) -> dt.date | None:
        return parse_date(raw, field=self.key)

    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        return forms.DateField(label=self.label, required=required,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def api_schema(self) -> dict[str, Any]:
        return self._schema({"type": ["string", "null"], "format": "date"})


@dataclass(frozen=True, kw_only=True)
class ForeignKeySpec(FieldSpec):
    """A dictionary entry (source, region ...), given as an object or its id."""

    model: Any = None

    def read(self, deal) -> Any:
        target = self.target(deal)
        return getattr(target, self.attr) if getattr(target, f"{self.attr}_id", None) is not None else None

    def is_filled(self, deal) -> bool:
        return getattr(self.target(deal), f"{self.attr}_id", None) is not None

    def initial(self, deal) -> Any:
        return getattr(self.target(deal), f"{self.attr}_id", None)

    def _queryset(self, deal):
        return self.model.objects.all()

    def parse(self, raw: Any, *, deal=None) -> Any:
        if _empty(raw):
            return None
        if isinstance(raw, self.model):
            return raw
        return self._lookup(raw, deal)

    def _lookup(self, raw: Any, deal) -> Any:
        """The row of ``_queryset`` named by an id (or an object carrying one); unknown ids are a field error."""
        pk = parse_pk(getattr(raw, "pk", raw))
        obj = self._queryset(deal).filter(pk=pk).first() if pk is not None else None
        if obj is None:
            raise _unknown_value(self.key)
        return obj

    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        return forms.ModelChoiceField(label=self.label, required=required, queryset=_active(self.model),
                                      empty_label="—")

    def api_schema(self) -> dict[str, Any]:
        return self._schema({"type": ["integer", "null"], "minimum": 1,
                             "x-voronka-model": self.model._meta.label_lower if self.model else ""})


@dataclass(frozen=True, kw_only=True)
class ContactSpec(ForeignKeySpec):
    """A contact person of the deal's own client."""

    def _queryset(self, deal):
        return deal.client.contacts.all()

    def parse(self, raw: Any, *, deal=None) -> Any:
        if _empty(raw):
            return None
        if deal is None or getattr(deal, "client_id", None) is None:
            raise DomainError(gettext("Choose the client first."), field=self.key)
        model = deal.client.contacts.model
        if isinstance(raw, model):
            if raw.client_id != deal.client_id:
                raise DomainError(gettext("The contact belongs to another client."), field=self.key)
            return raw
        return self._lookup(raw, deal)

    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        # No import of clients (an app above catalog): the model comes from the app registry.
        contacts = deal.client.contacts.all() if deal is not None else apps.get_model("clients", "Contact").objects.none()
        return forms.ModelChoiceField(label=self.label, required=required, empty_label="—", queryset=contacts,
                                      help_text=_("Contact persons are added on the client card."))

    def api_schema(self) -> dict[str, Any]:
        return self._schema({"type": ["integer", "null"], "minimum": 1, "x-voronka-model": "clients.contact"})


@dataclass(frozen=True, kw_only=True)
class InnSpec(FieldSpec):
    """The client's INN: 10 or 12 ASCII digits."""

    def parse(self, raw: Any, *, deal=None) -> str:
        text = _SPACES.sub("", str(raw or ""))
        if text and (not re.fullmatch(r"[0-9]{10}|[0-9]{12}", text, re.ASCII)):
            raise DomainError(gettext("INN must have 10 or 12 digits."), field=self.key)
        return text

    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        return forms.CharField(label=self.label, required=required, max_length=12,
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def api_schema(self) -> dict[str, Any]:
        return self._schema({"type": "string", "pattern": "^([0-9]{10}|[0-9]{12})?$"})


@dataclass(frozen=True, kw_only=True)
class RequisiteSpec(FieldSpec):
    """A client requisite of digits (KPP, OGRN, BIK, accounts: ``core.requisites``)."""

    def parse(self, raw: Any, *, deal=None) -> str:
        return normalize_requisite(self.attr, raw, error_field=self.key)

    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        return forms.CharField(label=self.label, required=required, max_length=40,
                               widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def api_schema(self) -> dict[str, Any]:
        return self._schema({"type": "string", "pattern": "^[0-9]*$"})


@dataclass(frozen=True, kw_only=True)
class LinesSpec(FieldSpec):
    """Product lines: the deal amount becomes their total. A form shows one line (product, quantity, price)."""

    INPUTS = ("lines_product", "lines_quantity", "lines_price")

    def read(self, deal) -> Any:
        return list(deal.lines.all()) if deal.pk is not None else []

    def is_filled(self, deal) -> bool:
        return deal.pk is not None and deal.lines.exists()

    def display(self, deal) -> str:
        return ", ".join(str(line) for line in self.read(deal))

    def initial(self, deal) -> Any:
        return None

    def parse(self, raw: Any, *, deal=None) -> list[dict[str, Any]]:
        if _empty(raw):
            return []
        if not isinstance(raw, list | tuple) or len(raw) > MAX_LINES:
            raise DomainError(gettext("At most %(n)s product lines.") % {"n": MAX_LINES}, field=self.key)
        lines = []
        for index, spec in enumerate(raw, start=1):
            if not isinstance(spec, dict):
                raise DomainError(gettext("Line %(n)s: choose a product.") % {"n": index}, field=self.key)
            lines.append(self._line(index, spec))
        return lines

    def _line(self, index: int, spec: dict[str, Any]) -> dict[str, Any]:
        product = spec.get("product")
        if not isinstance(product, Product):
            pk = parse_pk(getattr(product, "pk", product)) if product is not None else None
            product = Product.objects.filter(pk=pk).first() if pk is not None else None
        if product is None:
            raise DomainError(gettext("Line %(n)s: choose a product.") % {"n": index}, field=self.key)
        label = gettext("Line %(n)s") % {"n": index}
        quantity = money.parse_quantity(spec.get("quantity", 1), field=self.key, label=label)
        price = parse_money(spec.get("price", product.price), field=self.key)
        discount = money.parse_decimal(spec.get("discount_pct", 0) or 0, field=self.key, max_digits=5,
                                       decimal_places=2, minimum=0, maximum=100, label=label)
        return {"product": product, "quantity": quantity, "price": product.price if price is None else price,
                "discount_pct": discount}

    def apply(self, deal, value: Any, changes: ChangeSet) -> None:
        changes.lines = list(value)

    def form_fields(self, *, deal=None, required: bool = True) -> dict[str, forms.Field]:
        return {
            "lines_product": forms.ModelChoiceField(
                label=_("Product"), required=required, queryset=_active(Product), empty_label="—",
                widget=forms.Select(attrs={"id": "rf-lines-product"})),
            "lines_quantity": forms.DecimalField(
                label=_("Quantity"), required=required, max_digits=12, decimal_places=3,
                min_value=Decimal("0.001"), max_value=QUANTITY_MAX, initial=1,
                widget=forms.NumberInput(attrs={"id": "rf-lines-quantity", "step": "any"})),
            "lines_price": forms.DecimalField(
                label=_("Price"), required=False, max_digits=14, decimal_places=2, min_value=Decimal("0"),
                max_value=MONEY_MAX, help_text=_("Empty: the product's list price."),
                widget=forms.NumberInput(attrs={"id": "rf-lines-price", "step": "0.01"})),
        }

    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        return self.form_fields(deal=deal, required=required)["lines_product"]

    def form_value(self, cleaned: dict[str, Any]) -> Any:
        product = cleaned.get("lines_product")
        if product is None:
            return MISSING
        line: dict[str, Any] = {"product": product.pk, "quantity": cleaned.get("lines_quantity") or 1}
        if cleaned.get("lines_price") is not None:
            line["price"] = cleaned["lines_price"]
        return [line]

    def api_schema(self) -> dict[str, Any]:
        line = {"type": "object", "required": ["product"], "properties": {
            "product": {"type": "integer", "minimum": 1, "x-voronka-model": "catalog.product"},
            "quantity": {"type": "string", "format": "decimal"},
            "price": {"type": "string", "format": "decimal"},
            "discount_pct": {"type": "string", "format": "decimal", "minimum": 0, "maximum": 100}}}
        return self._schema({"type": "array", "maxItems": MAX_LINES, "items": line})


@dataclass(frozen=True, kw_only=True)
class ReadOnlySpec(FieldSpec):
    """A field the registry shows and slices by but never sets (owner: ``reassign_deal``; team: its snapshot)."""

    def read(self, deal) -> Any:
        if self.attr == "team":  # the owner's team snapshot when the deal has one, else the owner's team
            if hasattr(deal, "owner_team_id"):
                return deal.owner_team if deal.owner_team_id is not None else None
            return deal.owner.team if deal.owner_id is not None else None
        return super().read(deal)

    def parse(self, raw: Any, *, deal=None) -> Any:
        raise DomainError(gettext("“%(label)s” is not changed this way.") % {"label": self.label}, field=self.key)

    def api_schema(self) -> dict[str, Any]:
        return self._schema({"type": ["integer", "null"]})


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()  # a form posted nothing for the field (``lines`` without a product)


@dataclass(frozen=True, kw_only=True)
class CustomSpec(FieldSpec):
    """A custom field (``cf:<key>`` on the deal, ``client.cf:<key>`` on its client), per its definition."""

    definition: Any = None

    def read(self, deal) -> Any:
        return (getattr(self.target(deal), "custom", None) or {}).get(self.definition.key)

    def is_filled(self, deal) -> bool:
        return self.read(deal) not in (None, "", [])

    def display(self, deal) -> str:
        return custom_display(self.definition, self.read(deal), currency=getattr(deal, "currency", ""))

    def initial(self, deal) -> Any:
        value = self.read(deal)
        if self.kind == Kind.BOOLEAN and value is not None:
            return "true" if value else "false"
        return value

    def parse(self, raw: Any, *, deal=None) -> Any:
        return coerce_custom(self.definition, raw, field=self.key)

    def apply(self, deal, value: Any, changes: ChangeSet) -> None:
        if self.entity == FieldEntity.CLIENT:
            changes.client_custom[self.definition.key] = value
            return
        custom = dict(deal.custom or {})
        if value is None:
            custom.pop(self.definition.key, None)
        else:
            custom[self.definition.key] = value
        deal.custom = custom
        changes.custom[self.definition.key] = value
        if "custom" not in changes.deal_fields:
            changes.deal_fields.append("custom")

    def form_field(self, *, deal=None, required: bool = True) -> forms.Field:
        return custom_form_field(self.definition, required=required)

    def api_schema(self) -> dict[str, Any]:
        kind, values = self.kind, self.definition.choice_values
        schema: dict[str, Any] = {
            Kind.TEXT: {"type": ["string", "null"], "maxLength": 2000},
            Kind.NUMBER: {"type": ["string", "null"], "format": "decimal"},
            Kind.MONEY: {"type": ["string", "null"], "format": "decimal"},
            Kind.DATE: {"type": ["string", "null"], "format": "date"},
            Kind.BOOLEAN: {"type": ["boolean", "null"]},
            Kind.CHOICE: {"type": ["string", "null"], "enum": [*values, None]},
            Kind.MULTICHOICE: {"type": "array", "items": {"type": "string", "enum": values}},
        }.get(kind, {"type": ["string", "null"]})
        return self._schema(schema)


# --- custom field values ----------------------------------------------------------------------------------

CUSTOM_TEXT_MAX = 2000
CUSTOM_NUMBER_WHOLE, CUSTOM_NUMBER_PLACES = 12, 6  # custom numbers: 12 digits before the point, ≤ 6 after


def coerce_custom(definition: CustomFieldDefinition, value: Any, *, field: str | None = None) -> Any:
    """A custom value checked against its definition and normalised for storage; ``None`` when empty."""
    field = field or f"cf:{definition.key}"
    kind, label = definition.field_type, definition.label
    if value in (None, "", []):
        return None
    if kind == FieldType.TEXT:
        text = str(value).strip()
        if len(text) > CUSTOM_TEXT_MAX:  # refused, never cut: silent truncation is silent loss
            raise DomainError(gettext("%(label)s: at most %(n)s characters (now %(len)s).")
                              % {"label": label, "n": CUSTOM_TEXT_MAX, "len": len(text)}, field=field)
        return text
    if kind == FieldType.MONEY:  # the definition's bounds (0 or more by default), kopecks
        minimum = definition.min_value if definition.min_value is not None else 0
        return str(money.parse_decimal(value, field=field, label=label, max_digits=money.MONEY_DIGITS,
                                       decimal_places=money.MONEY_PLACES, minimum=minimum,
                                       maximum=definition.max_value))
    if kind == FieldType.NUMBER:  # the definition's bounds and decimal places (6 when unset)
        places = definition.decimal_places if definition.decimal_places is not None else CUSTOM_NUMBER_PLACES
        return money.plain(money.parse_decimal(value, field=field, label=label,
                                               max_digits=CUSTOM_NUMBER_WHOLE + places, decimal_places=places,
                                               minimum=definition.min_value, maximum=definition.max_value,
                                               round_places=False))
    if kind == FieldType.DATE:
        try:
            day = parse_date(value, field=field)
        except DomainError as exc:
            raise DomainError(gettext("%(label)s: enter a date as YYYY-MM-DD.") % {"label": label},
                              field=field) from exc
        return day.isoformat() if day else None
    if kind == FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise DomainError(gettext("%(label)s: choose yes or no.") % {"label": label}, field=field)
    allowed = definition.choice_values
    if kind == FieldType.CHOICE:
        if str(value) not in allowed:
            raise DomainError(gettext("%(label)s: choose one of the listed values.") % {"label": label},
                              field=field)
        return str(value)
    values = value if isinstance(value, list | tuple) else [v for v in str(value).split(",") if v]
    values = [str(v).strip() for v in values]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise DomainError(gettext("%(label)s: unknown values %(values)s.") % {"label": label,
                                                                                "values": ", ".join(unknown)},
                          field=field)
    return values


def custom_display(definition: CustomFieldDefinition, value: Any, *, currency: str = "") -> str:
    """A custom value for people: choice labels, yes/no, money."""
    if value in (None, "", []):
        return ""
    kind = definition.field_type
    if kind == FieldType.BOOLEAN:
        return gettext("Yes") if value else gettext("No")
    if kind == FieldType.CHOICE:
        return definition.choice_label(value)
    if kind == FieldType.MULTICHOICE:
        values = value if isinstance(value, list) else [value]
        return ", ".join(definition.choice_label(v) for v in values)
    if kind == FieldType.MONEY:
        return format_money(value, currency or "RUB")
    return str(value)


def custom_form_field(definition: CustomFieldDefinition, *, required: bool = True) -> forms.Field:
    """The form field of a custom value; the admin's help text (Markdown source) rides along as the field's
    ``help_text``, which the deal forms render with ``ui.markdown`` (sanitised)."""
    field = _custom_form_field(definition, required=required)
    field.help_text = definition.help_text or ""
    return field


def _custom_form_field(definition: CustomFieldDefinition, *, required: bool = True) -> forms.Field:
    label, kind = definition.label, definition.field_type
    if kind == FieldType.NUMBER:
        return forms.DecimalField(label=label, required=required, max_value=NUMBER_MAX, min_value=-NUMBER_MAX,
                                  widget=forms.NumberInput(attrs={"step": "any"}))
    if kind == FieldType.MONEY:
        return forms.DecimalField(label=label, required=required, max_digits=14, decimal_places=2,
                                  min_value=Decimal("0"), max_value=MONEY_MAX,
                                  widget=forms.NumberInput(attrs={"step": "0.01"}))
    if kind == FieldType.DATE:
        return forms.DateField(label=label, required=required, widget=forms.DateInput(
            attrs={"type": "date"}, format="%Y-%m-%d"))
    choices = [(v, definition.choice_label(v)) for v in definition.choice_values]
    if kind == FieldType.CHOICE:
        return forms.ChoiceField(label=label, required=required, choices=[("", "—"), *choices])
    if kind == FieldType.MULTICHOICE:
        return forms.MultipleChoiceField(label=label, required=required, choices=choices,
                                         widget=forms.CheckboxSelectMultiple)
    if kind == FieldType.BOOLEAN:
        return forms.ChoiceField(label=label, required=required,
                                 choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))])
    return forms.CharField(label=label, required=required, max_length=2000)


_CUSTOM_KINDS = {FieldType.TEXT: Kind.TEXT, FieldType.NUMBER: Kind.NUMBER, FieldType.MONEY: Kind.MONEY,
                 FieldType.DATE: Kind.DATE, FieldType.CHOICE: Kind.CHOICE, FieldType.MULTICHOICE: Kind.MULTICHOICE,
                 FieldType.BOOLEAN: Kind.BOOLEAN}


def custom_key(definition: CustomFieldDefinition) -> str:
    prefix = "client.cf:" if definition.entity == FieldEntity.CLIENT else "cf:"
    return f"{prefix}{definition.key}"


def custom_spec(definition: CustomFieldDefinition) -> CustomSpec:
    client = definition.entity == FieldEntity.CLIENT
    return CustomSpec(key=custom_key(definition), label=definition.label,
                      kind=_CUSTOM_KINDS.get(definition.field_type, Kind.TEXT),
                      entity=FieldEntity.CLIENT if client else FieldEntity.DEAL, definition=definition,
                      inline=not client, orm_path=f"{'client__' if client else ''}custom__{definition.key}")


# --- the standard fields (pure constants) -------------------------------------------------------------------

# The team slice groups by the owner's team; once deals carry a snapshot of it (``Deal.owner_team``) the
# path becomes that column, and ``ReadOnlySpec.read`` already prefers it when present.
TEAM_PATH = "owner__team"
C = FieldEntity.CLIENT
STANDARD_FIELDS: tuple[FieldSpec, ...] = (
    TitleSpec(key="title", label=_("Title"), kind=Kind.TEXT, attr="title", requirable=False, inline=True,
              max_length=255, orm_path="title"),
    MoneySpec(key="amount", label=_("Amount"), kind=Kind.MONEY, attr="amount", inline=True, orm_path="amount"),
    CurrencySpec(key="currency", label=_("Currency"), kind=Kind.CHOICE, attr="currency", requirable=False,
                 max_length=3, orm_path="currency"),
    DateSpec(key="expected_close_date", label=_("Expected close date"), kind=Kind.DATE,
             attr="expected_close_date", inline=True, orm_path="expected_close_date"),
    ContactSpec(key="contact", label=_("Contact"), kind=Kind.FK, attr="contact", inline=True,
                orm_path="contact"),
    ForeignKeySpec(key="source", label=_("Source"), kind=Kind.FK, attr="source", model=Source, inline=True,
                   slice=True, orm_path="source"),
    ForeignKeySpec(key="channel", label=_("Channel"), kind=Kind.FK, attr="channel", model=Channel, inline=True,
                   slice=True, orm_path="channel"),
    ForeignKeySpec(key="campaign", label=_("Campaign"), kind=Kind.FK, attr="campaign", model=Campaign,
                   inline=True, slice=True, orm_path="campaign"),
    ForeignKeySpec(key="product", label=_("Main product"), kind=Kind.FK, attr="product", model=Product,
                   inline=True, slice=True, orm_path="product"),
    LinesSpec(key="lines", label=_("Products (lines)"), kind=Kind.LINES, attr="lines", orm_path="lines"),
    ForeignKeySpec(key="client.region", label=_("Client region"), kind=Kind.FK, entity=C, attr="region",
                   model=Region, slice=True, orm_path="client__region"),
    ForeignKeySpec(key="client.industry", label=_("Client industry"), kind=Kind.FK, entity=C, attr="industry",
                   model=Industry, slice=True, orm_path="client__industry"),
    ForeignKeySpec(key="client.target_audience", label=_("Client target audience"), kind=Kind.FK, entity=C,
                   attr="target_audience", model=TargetAudience, slice=True, orm_path="client__target_audience"),
    InnSpec(key="client.inn", label=_("Client INN"), kind=Kind.TEXT, entity=C, attr="inn", max_length=12,
            orm_path="client__inn"),
    RequisiteSpec(key="client.kpp", label=_("Client KPP"), kind=Kind.TEXT, entity=C, attr="kpp", max_length=9,
                  orm_path="client__kpp"),
    RequisiteSpec(key="client.ogrn", label=_("Client OGRN"), kind=Kind.TEXT, entity=C, attr="ogrn",
                  max_length=15, orm_path="client__ogrn"),
    FieldSpec(key="client.legal_address", label=_("Client legal address"), kind=Kind.TEXT, entity=C,
              attr="legal_address", max_length=500, orm_path="client__legal_address"),
    FieldSpec(key="client.bank_name", label=_("Client bank"), kind=Kind.TEXT, entity=C, attr="bank_name",
              max_length=255, orm_path="client__bank_name"),
    RequisiteSpec(key="client.bik", label=_("Client BIK"), kind=Kind.TEXT, entity=C, attr="bik", max_length=9,
                  orm_path="client__bik"),
    RequisiteSpec(key="client.settlement_account", label=_("Client settlement account"), kind=Kind.TEXT,
                  entity=C, attr="settlement_account", max_length=20, orm_path="client__settlement_account"),
    RequisiteSpec(key="client.corr_account", label=_("Client correspondent account"), kind=Kind.TEXT,
                  entity=C, attr="corr_account", max_length=20, orm_path="client__corr_account"),
    ReadOnlySpec(key="owner", label=_("Owner"), kind=Kind.FK, attr="owner", requirable=False, editable=False,
                 slice=True, orm_path="owner"),
    ReadOnlySpec(key="team", label=_("Team"), kind=Kind.FK, attr="team", requirable=False, editable=False,
                 slice=True, orm_path=TEAM_PATH),
)
STANDARD: dict[str, FieldSpec] = {spec.key: spec for spec in STANDARD_FIELDS}
SLICE_KEYS: tuple[str, ...] = tuple(spec.key for spec in STANDARD_FIELDS if spec.slice)
del C


def is_custom_key(key: str) -> bool:
    return key.startswith(("cf:", "client.cf:"))


# --- the registry -----------------------------------------------------------------------------------------------

class FieldRegistry:
    """The fields of deals for one call site: the standard ones and the active custom ones.

    Custom definitions are read once, on first need (a standard key never queries). ``definitions``
    lets a caller pass definitions it already holds.
    """

    def __init__(self, definitions: list[CustomFieldDefinition] | None = None) -> None:
        self._definitions = definitions
        self._custom: dict[str, CustomSpec] | None = None
        self._retired: dict[str, str] = {}

    def _load(self) -> dict[str, CustomSpec]:
        if self._custom is None:
            definitions = self._definitions
            if definitions is None:
                definitions = list(CustomFieldDefinition.objects.order_by("entity", "sort_order", "label"))
            self._custom = {}
            for d in definitions:
                if d.is_active:
                    self._custom[custom_key(d)] = custom_spec(d)
                else:
                    self._retired[custom_key(d)] = d.label
        return self._custom

    # lookup
    def get(self, key: str) -> FieldSpec | None:
        if not isinstance(key, str):
            return None
        spec = STANDARD.get(key)
        if spec is None and is_custom_key(key):
            spec = self._load().get(key)
        return spec

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def require(self, key: str, *, editable: bool = True) -> FieldSpec:
        """The spec of ``key``; an unknown (or read-only) key is a DomainError naming it."""
        spec = self.get(key)
        if spec is None:
            if isinstance(key, str) and is_custom_key(key):
                message = gettext("Unknown custom field “%(key)s”.") % {"key": key.split(":", 1)[1]}
            else:
                message = gettext("Unknown deal field “%(key)s”.") % {"key": key}
            raise DomainError(message, field=str(key), code="unknown_field")
        if editable and not spec.editable:
            raise DomainError(gettext("“%(label)s” is not changed this way.") % {"label": spec.label},
                              field=key, code="read_only")
        return spec

    def specs(self, *, requirable: bool | None = None, editable: bool | None = None, inline: bool | None = None,
              slice: bool | None = None, entity: str | None = None) -> list[FieldSpec]:
        """Every field in display order (standard, deal custom, client custom), filtered by the flags given."""
        out = []
        for spec in (*STANDARD_FIELDS, *self._load().values()):
            if ((requirable is None or spec.requirable == requirable)
                    and (editable is None or spec.editable == editable)
                    and (inline is None or spec.inline == inline)
                    and (slice is None or spec.slice == slice)
                    and (entity is None or spec.entity == entity)):
                out.append(spec)
        return out

    def keys(self, **flags) -> list[str]:
        return [spec.key for spec in self.specs(**flags)]

    def label(self, key: str) -> str:
        """The label of a key; a deactivated custom field keeps its label, an unknown key shows itself."""
        spec = self.get(key)
        if spec is not None:
            return str(spec.label)
        if is_custom_key(key):
            self._load()
            return self._retired.get(key, key.split(":", 1)[1])
        return key

    def labels(self, keys: list[str]) -> list[str]:
        return [self.label(k) for k in keys]

    def required_field_choices(self) -> list[tuple[str, str]]:
        """What a stage may require, as (key, label)."""
        return [(spec.key, str(spec.label)) for spec in self.specs(requirable=True)]

    def api_schema(self) -> dict[str, Any]:
        """JSON schema of the editable values (the API's and the imports' ``values`` object)."""
        return {"type": "object", "additionalProperties": False,
                "properties": {spec.key: spec.api_schema() for spec in self.specs()}}

    # rules
    def missing(self, deal, keys: list[str]) -> list[str]:
        """Keys among ``keys`` the deal leaves empty; keys of no active field (a deactivated one) never block."""
        out = []
        for key in dict.fromkeys(keys or []):
            spec = self.get(key)
            if spec is not None and not spec.is_filled(deal):
                out.append(key)
        return out

    def check_requirable(self, keys: Any, *, keep: list[str] | tuple[str, ...] = ()) -> list[str]:
        """Keys a stage may require (``keep``: keys the stage already has, even of a deactivated field)."""
        if not isinstance(keys, list | tuple):
            raise DomainError(gettext("Required fields must be a list."), field="required_fields")
        unknown = [str(k) for k in keys if k not in keep and not (
            (spec := self.get(k)) is not None and spec.requirable)]
        if unknown:
            raise DomainError(gettext("Unknown required fields: %(f)s.") % {"f": ", ".join(unknown)},
                              field="required_fields")
        return list(dict.fromkeys(keys))

    # writing
    def apply(self, deal, values: dict[str, Any]) -> ChangeSet:
        """Parse every value with its spec and set it on the deal in memory; the first bad one raises."""
        changes = ChangeSet()
        for key, raw in (values or {}).items():
            spec = self.require(key)
            spec.apply(deal, spec.parse(raw, deal=deal), changes)
        return changes


def deal_fields(definitions: list[CustomFieldDefinition] | None = None) -> FieldRegistry:
    """A registry of deal fields for one call site (see ``FieldRegistry``)."""
    return FieldRegistry(definitions)


def get_field(key: str, registry: FieldRegistry | None = None) -> FieldSpec | None:
    return (registry or FieldRegistry()).get(key)
