"""Validation of custom field values against their definitions; writes of definitions and dictionaries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Max, Model
from django.utils.text import slugify
from django.utils.translation import gettext as _

from voronka.accounts.permissions import require_perm
from voronka.audit.services import diff
from voronka.catalog.fields import coerce_custom
from voronka.catalog.models import Campaign, Channel, CustomFieldDefinition, FieldEntity, FieldType, Source
from voronka.catalog.selectors import dictionary_kind
from voronka.core.currency import normalize_currency
from voronka.core.errors import DomainError
from voronka.core.money import MONEY_DIGITS, MONEY_PLACES, parse_decimal, parse_money
from voronka.core.validation import check_text, clean_or_raise
from voronka.events.services import record_event

# Custom numbers: up to 12 digits before the point and (by default, at most) 6 after.
NUMBER_WHOLE, NUMBER_PLACES = 12, 6
NUMBER_TYPES = (FieldType.NUMBER, FieldType.MONEY)


def clean_custom_values(*, entity: str, values: dict[str, Any], current: dict[str, Any] | None = None
                        ) -> dict[str, Any]:
    """Merge ``values`` into ``current`` after checking each against its definition (``catalog.fields``)."""
    definitions = {d.key: d for d in CustomFieldDefinition.objects.filter(entity=entity, is_active=True)}
    result = dict(current or {})
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            raise DomainError(_("Unknown custom field “%(key)s”.") % {"key": key}, field=f"cf:{key}")
        value = coerce_custom(definition, raw)
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


# --- settings: custom field definitions and dictionaries -------------------------------------------------
# (every write checks ``configure``, runs in a transaction and leaves an audit entry)

CHOICE_TYPES = (FieldType.CHOICE, FieldType.MULTICHOICE)
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=True))


def make_key(text: str) -> str:
    """A machine key from a human label, Cyrillic transliterated: "Бюджет, руб." → "byudzhet_rub"."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in str(text or "").lower())
    key = slugify(latin).replace("-", "_").strip("_")
    if key and not key[0].isalpha():
        key = f"f_{key}"
    return key[:64]


def _clean_choices(field_type: str, choices: Iterable | None) -> list[dict[str, str]]:
    if field_type not in CHOICE_TYPES:
        return []
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for choice in choices or []:
        if isinstance(choice, dict):
            value, label = str(choice.get("value") or "").strip(), str(choice.get("label") or "").strip()
        else:
            value, label = "", str(choice).strip()
        if not label and not value:
            continue
        label = label or value
        value = value or make_key(label)
        if not value:
            raise DomainError(_("Give the choice “%(label)s” a value in Latin letters: value|label.")
                              % {"label": label}, field="choices")
        if len(value) > 64 or len(label) > 160:
            raise DomainError(_("A choice value is at most 64 characters and a label 160."), field="choices")
        if value in seen:
            raise DomainError(_("The choice value “%(value)s” is used twice.") % {"value": value}, field="choices")
        seen.add(value)
        cleaned.append({"value": value, "label": label})
    if not cleaned:
        raise DomainError(_("A choice field needs at least one choice."), field="choices")
    return cleaned


def _clean_label(label: str) -> str:
    label = (label or "").strip()
    if not label:
        raise DomainError(_("Enter the field label."), field="label")
    return label


def _check_field_type(field_type: str) -> str:
    if field_type not in FieldType.values:
        raise DomainError(_("Choose a field type."), field="field_type")
    return field_type


# The models that store custom values, by label: catalog sits below deals and clients (docs/architecture.md),
# so it names them through the app registry, as a ForeignKey("deals.Deal") would, instead of importing them.
CUSTOM_VALUE_MODELS = {FieldEntity.DEAL: "deals.Deal", FieldEntity.CLIENT: "clients.Client"}


def _clean_bounds(field_type: str, min_value: Any, max_value: Any, decimal_places: Any
                  ) -> tuple[Decimal | None, Decimal | None, int | None]:
    """Bounds and precision of number/money fields; refused on other types (a setting that does nothing)."""
    given = {k: v for k, v in (("min_value", min_value), ("max_value", max_value),
                               ("decimal_places", decimal_places)) if v not in (None, "")}
    if field_type not in NUMBER_TYPES:
        if given:
            raise DomainError(_("Minimum, maximum and decimal places apply to number and money fields only."),
                              field=next(iter(given)))
        return None, None, None
    bounds = [parse_decimal(given[k], field=k, max_digits=NUMBER_WHOLE + NUMBER_PLACES,
                            decimal_places=NUMBER_PLACES, round_places=False) if k in given else None
              for k in ("min_value", "max_value")]
    low, high = bounds
    if low is not None and high is not None and low > high:
        raise DomainError(_("The minimum is greater than the maximum."), field="min_value")
    places = None
    if "decimal_places" in given:
        text = str(given["decimal_places"]).strip()
        places = int(text) if text.isascii() and text.isdigit() and len(text) < 3 else None
        if field_type == FieldType.MONEY and places != MONEY_PLACES:
            raise DomainError(_("Money fields always have 2 decimal places."), field="decimal_places")
        if places is None or not 0 <= places <= NUMBER_PLACES:
            raise DomainError(_("Decimal places: a whole number from 0 to 6."), field="decimal_places")
    if field_type == FieldType.MONEY:
        limit = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES)
        if any(b is not None and b.copy_abs() >= limit for b in bounds):
            raise DomainError(_("Money bounds must be below 1 000 000 000 000."), field="max_value")
    for name, bound in (("min_value", low), ("max_value", high)):
        if bound is not None and places is not None and bound != bound.quantize(Decimal(1).scaleb(-places)):
            raise DomainError(_("The bound has more decimal places than the field allows."), field=name)
    return low, high, places


HELP_TEXT_MAX = 2000


def _clean_help_text(value: Any) -> str:
    """The help text shown under the field (Markdown, rendered safely by ``ui.markdown``)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError(_("The help text must be text."), field="help_text")
    return check_text(value.strip(), field="help_text", limit=HELP_TEXT_MAX)


def _custom_field_in_use(definition: CustomFieldDefinition) -> bool:
    model = apps.get_model(CUSTOM_VALUE_MODELS[definition.entity])
    return model.objects.filter(custom__has_key=definition.key).exists()


@transaction.atomic
def create_custom_field(*, actor, entity: str, label: str, field_type: str, key: str = "",
                        choices: Iterable | None = None, is_active: bool = True,
                        sort_order: int | None = None, min_value: Any = None, max_value: Any = None,
                        decimal_places: Any = None, help_text: str = "") -> CustomFieldDefinition:
    """Add a field to deals or clients; the key (a slug, unique per entity) is made from the label if empty.

    Number and money fields may have bounds (``min_value``/``max_value``; money: 0 or more unless a minimum
    says otherwise) and numbers a precision (``decimal_places``, 0–6); values outside are field errors.
    """
    require_perm(actor, "configure")
    if entity not in FieldEntity.values:
        raise DomainError(_("Choose deals or clients."), field="entity")
    label = _clean_label(label)
    field_type = _check_field_type(field_type)
    key = (key or "").strip().lower() or make_key(label)
    if not KEY_RE.match(key):
        raise DomainError(_("The key may contain Latin letters, digits and “_” and must start with a letter."),
                          field="key")
    if CustomFieldDefinition.objects.filter(entity=entity, key=key).exists():
        raise DomainError(_("A field with the key “%(key)s” already exists.") % {"key": key}, field="key")
    if sort_order is None:
        sort_order = (CustomFieldDefinition.objects.filter(entity=entity)
                      .aggregate(m=Max("sort_order"))["m"] or 0) + 1
    low, high, places = _clean_bounds(field_type, min_value, max_value, decimal_places)
    definition = CustomFieldDefinition(entity=entity, key=key, label=label, field_type=field_type,
                                       choices=_clean_choices(field_type, choices), is_active=bool(is_active),
                                       sort_order=max(0, int(sort_order)), min_value=low, max_value=high,
                                       decimal_places=places, help_text=_clean_help_text(help_text))
    clean_or_raise(definition)
    definition.save()
    record_event(actor=actor, verb="custom_field.created", target=definition)
    return definition


@transaction.atomic
def update_custom_field(*, actor, definition: CustomFieldDefinition, label: str, field_type: str,
                        choices: Iterable | None = None, is_active: bool = True,
                        sort_order: int | None = None, min_value: Any = None, max_value: Any = None,
                        decimal_places: Any = None, help_text: str | None = None) -> CustomFieldDefinition:
    """Change a field; its entity and key stay (stored values and stage rules refer to them).

    New bounds apply to values written from now on; stored values are kept as they are.
    """
    require_perm(actor, "configure")
    fields = ["label", "field_type", "choices", "is_active", "sort_order", "min_value", "max_value",
              "decimal_places", "help_text"]
    before = {f: getattr(definition, f) for f in fields}
    field_type = _check_field_type(field_type)
    if field_type != definition.field_type and _custom_field_in_use(definition):
        raise DomainError(_("Records already hold values of this field; its type cannot be changed. "
                            "Add a new field instead."), field="field_type")
    definition.label = _clean_label(label)
    definition.field_type = field_type
    definition.choices = _clean_choices(field_type, choices)
    definition.min_value, definition.max_value, definition.decimal_places = _clean_bounds(
        field_type, min_value, max_value, decimal_places)
    definition.is_active = bool(is_active)
    if help_text is not None:  # None (a caller that does not know the field): kept
        definition.help_text = _clean_help_text(help_text)
    if sort_order is not None:
        definition.sort_order = max(0, int(sort_order))
    clean_or_raise(definition)
    definition.save(update_fields=fields)
    record_event(actor=actor, verb="custom_field.updated", target=definition,
                 changes=diff(definition, before, fields))
    return definition


_DICT_FIELDS = ("name", "is_active")


def _apply_dictionary_fields(item: Model, spec, fields: dict) -> None:
    unknown = set(fields) - set(_DICT_FIELDS) - set(spec.extra_fields)
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if "name" in fields:
        name = " ".join(str(fields["name"] or "").split())
        if not name:
            raise DomainError(_("Enter the name."), field="name")
        others = spec.model.objects.exclude(pk=item.pk) if item.pk else spec.model.objects.all()
        # Case-insensitive in Python: SQLite folds only ASCII ("Сайт" vs "сайт"); dictionaries are short.
        if any(n.casefold() == name.casefold() for n in others.values_list("name", flat=True)):
            raise DomainError(_("“%(name)s” is already in the list.") % {"name": name}, field="name")
        fields["name"] = name
    for money in ("price", "cost"):
        if money in fields:
            fields[money] = parse_money(fields[money] if fields[money] not in (None, "") else 0, field=money)
    if "currency" in fields:
        currency = normalize_currency(fields["currency"])
        if currency is None:
            raise DomainError(_("Enter an ISO 4217 currency code, e.g. RUB, USD or EUR."), field="currency")
        fields["currency"] = currency
    if "sku" in fields:
        fields["sku"] = str(fields["sku"] or "").strip()
    for fk, model in (("source", Source), ("channel", Channel)):
        if fk in fields and fields[fk] is not None and not isinstance(fields[fk], model):
            raise DomainError(_("Choose a value from the list."), field=fk)
    for key, value in fields.items():
        setattr(item, key, value)
    if isinstance(item, Campaign) and item.starts_on and item.ends_on and item.ends_on < item.starts_on:
        raise DomainError(_("The campaign cannot end before it starts."), field="ends_on")
    clean_or_raise(item)


@transaction.atomic
def create_dictionary_item(*, actor, kind: str, name: str, **fields) -> Model:
    """Add an entry to a dictionary (``kind`` is a slug of ``DICTIONARY_KINDS``), at the end of the list."""
    require_perm(actor, "configure")
    spec = dictionary_kind(kind)
    item = spec.model(sort_order=(spec.model.objects.aggregate(m=Max("sort_order"))["m"] or 0) + 1)
    _apply_dictionary_fields(item, spec, {"name": name, **fields})
    item.save()
    record_event(actor=actor, verb=f"{spec.model._meta.model_name}.created", target=item)
    return item


@transaction.atomic
def update_dictionary_item(*, actor, kind: str, item: Model, **fields) -> Model:
    """Rename, (de)activate or change the extra fields (price, cost, dates…) of a dictionary entry."""
    require_perm(actor, "configure")
    spec = dictionary_kind(kind)
    if not isinstance(item, spec.model):
        raise DomainError(_("The item belongs to another dictionary."), field="item")
    before = {f: getattr(item, f) for f in fields}
    _apply_dictionary_fields(item, spec, dict(fields))
    item.save()
    record_event(actor=actor, verb=f"{spec.model._meta.model_name}.updated", target=item,
                 changes=diff(item, before, fields))
    return item


@transaction.atomic
def reorder_dictionary_items(*, actor, kind: str, item_ids: list[int]) -> list[Model]:
    """Set the order of a dictionary; the list must name every entry exactly once."""
    require_perm(actor, "configure")
    spec = dictionary_kind(kind)
    items = {i.pk: i for i in spec.model.objects.select_for_update()}
    if sorted(item_ids) != sorted(items):
        raise DomainError(_("The new order must list every entry exactly once."), field="order")
    changed = []
    for position, item_id in enumerate(item_ids, start=1):
        if items[item_id].sort_order != position:
            items[item_id].sort_order = position
            changed.append(items[item_id])
    spec.model.objects.bulk_update(changed, ["sort_order"])
    return [items[i] for i in item_ids]


@transaction.atomic
def move_dictionary_item(*, actor, kind: str, item: Model, direction: str) -> list[Model]:
    """Move an entry one place ``up`` or ``down`` in its dictionary."""
    require_perm(actor, "configure")
    spec = dictionary_kind(kind)
    if direction not in ("up", "down"):
        raise DomainError(_("Unknown direction."), field="direction")
    ids = list(spec.model.objects.order_by("sort_order", "name", "id").values_list("id", flat=True))
    if item.pk not in ids:
        raise DomainError(_("The item belongs to another dictionary."), field="item")
    i = ids.index(item.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return reorder_dictionary_items(actor=actor, kind=kind, item_ids=ids)


@transaction.atomic
def seed_dictionaries(*, actor, entries: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Fill the dictionaries a new installation starts with (``entries``: kind slug → ``{name, ...}``).

    A dictionary is seeded only while it is empty: once it holds a row (seeded earlier, or added, renamed
    or switched off by an admin) it is the admin's and is left as it is, so repeated template installs
    never duplicate an entry nor bring back one an admin removed. Returns the rows created per kind.
    """
    require_perm(actor, "configure")
    created: dict[str, int] = {}
    for slug, items in entries.items():
        spec = dictionary_kind(slug)
        if spec.model.objects.exists():
            created[slug] = 0
            continue
        rows, seen = [], set()
        for order, fields in enumerate(items, start=1):
            item = spec.model(sort_order=order)
            _apply_dictionary_fields(item, spec, dict(fields))
            if item.name in seen:
                continue
            seen.add(item.name)
            rows.append(item)
        spec.model.objects.bulk_create(rows)
        created[slug] = len(rows)
        if rows:
            record_event(actor=actor, verb=f"{spec.model._meta.model_name}.seeded", target=rows[0],
                         data={"count": len(rows)})
    return created
