"""Reads of the dictionaries and custom field definitions (settings screens; visible to everyone who may read)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from voronka.catalog.models import (
    Campaign,
    Channel,
    CustomFieldDefinition,
    FieldEntity,
    Industry,
    LostReason,
    Product,
    Region,
    Source,
    TargetAudience,
)
from voronka.core.errors import DomainError, NotFound
from voronka.core.params import parse_id


@dataclass(frozen=True)
class DictionaryKind:
    """A dictionary the settings screens edit: its URL slug, model and the fields beyond name/active/order."""

    slug: str
    model: type[Model]
    extra_fields: tuple[str, ...] = ()
    related: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return str(self.model._meta.verbose_name_plural).capitalize()

    @property
    def item_name(self) -> str:
        return str(self.model._meta.verbose_name)


DICTIONARY_KINDS: dict[str, DictionaryKind] = {k.slug: k for k in (
    DictionaryKind("sources", Source),
    DictionaryKind("channels", Channel),
    DictionaryKind("regions", Region),
    DictionaryKind("industries", Industry),
    DictionaryKind("target-audiences", TargetAudience),
    DictionaryKind("lost-reasons", LostReason),
    DictionaryKind("products", Product, ("sku", "price", "currency")),
    DictionaryKind("campaigns", Campaign, ("source", "channel", "cost", "starts_on", "ends_on"),
                   ("source", "channel")),
)}


def dictionary_kind(slug: str) -> DictionaryKind:
    try:
        return DICTIONARY_KINDS[slug]
    except KeyError as exc:
        raise NotFound(_("No such dictionary."), field="kind") from exc


def list_dictionary_items(*, actor, kind: str | DictionaryKind, active_only: bool = False) -> QuerySet:
    spec = kind if isinstance(kind, DictionaryKind) else dictionary_kind(kind)
    qs = spec.model.objects.all()
    if spec.related:
        qs = qs.select_related(*spec.related)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("sort_order", "name", "id")


def get_dictionary_item(*, actor, kind: str | DictionaryKind, item_id) -> Model:
    spec = kind if isinstance(kind, DictionaryKind) else dictionary_kind(kind)
    try:
        return list_dictionary_items(actor=actor, kind=spec).get(pk=item_id)
    except (spec.model.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Item not found."), field="item") from exc


def list_custom_fields(*, actor, entity: str | None = None) -> QuerySet[CustomFieldDefinition]:
    qs = CustomFieldDefinition.objects.all()
    if entity in FieldEntity.values:
        qs = qs.filter(entity=entity)
    return qs.order_by("entity", "sort_order", "label", "id")


def get_custom_field(*, actor, field_id) -> CustomFieldDefinition:
    try:
        return CustomFieldDefinition.objects.get(pk=field_id)
    except (CustomFieldDefinition.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Custom field not found."), field="field") from exc


def lost_reason_from(value: LostReason | int | str, *, unknown: str) -> LostReason:
    """The lost reason itself, or the one with this id (from a form or the API); ``unknown`` is the message."""
    if isinstance(value, LostReason):
        return value
    number = parse_id(value)
    found = LostReason.objects.filter(pk=number).first() if number is not None else None
    if found is None:
        raise DomainError(unknown, field="lost_reason")
    return found
