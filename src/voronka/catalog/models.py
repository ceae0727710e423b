"""Dictionaries the sales process is sliced by: sources, channels, regions, products and so on."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.core.currency import CURRENCY_CHOICES, default_currency


class DictionaryItem(models.Model):
    """A named, orderable, switchable entry of a dictionary."""

    name = models.CharField(_("name"), max_length=160, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Source(DictionaryItem):
    class Meta(DictionaryItem.Meta):
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")


class Channel(DictionaryItem):
    class Meta(DictionaryItem.Meta):
        verbose_name = _("channel")
        verbose_name_plural = _("channels")


class Region(DictionaryItem):
    class Meta(DictionaryItem.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class Industry(DictionaryItem):
    class Meta(DictionaryItem.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")


class TargetAudience(DictionaryItem):
    class Meta(DictionaryItem.Meta):
        verbose_name = _("target audience")
        verbose_name_plural = _("target audiences")


class LostReason(DictionaryItem):
    class Meta(DictionaryItem.Meta):
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")


class Product(DictionaryItem):
    sku = models.CharField(_("SKU"), max_length=64, blank=True, default="")
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=default_currency)

    class Meta(DictionaryItem.Meta):
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_gte_0")]


class Campaign(DictionaryItem):
    source = models.ForeignKey(Source, verbose_name=_("source"), null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), null=True, blank=True, on_delete=models.SET_NULL
    )
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2, default=0)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta(DictionaryItem.Meta):
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="campaign_cost_gte_0"),
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True) | models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_dates_ordered",
            ),
        ]


class FieldEntity(models.TextChoices):
    DEAL = "deal", _("Deal")
    CLIENT = "client", _("Client")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    MONEY = "money", _("Money")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTICHOICE = "multichoice", _("Multiple choice")
    BOOLEAN = "boolean", _("Yes/no")


class CustomFieldDefinition(models.Model):
    """A field an admin adds to deals or clients; values live in the record's ``custom`` JSON."""

    entity = models.CharField(_("entity"), max_length=16, choices=FieldEntity.choices)
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(_("label"), max_length=160)
    field_type = models.CharField(_("type"), max_length=16, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True,
                               help_text=_("For choice fields: a list of {value, label}."))
    min_value = models.DecimalField(_("minimum"), max_digits=18, decimal_places=6, null=True, blank=True,
                                    help_text=_("Number and money fields: the smallest value allowed "
                                                "(money: 0 when empty)."))
    max_value = models.DecimalField(_("maximum"), max_digits=18, decimal_places=6, null=True, blank=True,
                                    help_text=_("Number and money fields: the largest value allowed."))
    decimal_places = models.PositiveSmallIntegerField(
        _("decimal places"), null=True, blank=True,
        help_text=_("Number fields: digits allowed after the point, 0 to 6 (6 when empty). Money: always 2."))
    help_text = models.TextField(_("help text"), blank=True, default="", max_length=2000,
                                 help_text=_("Shown under the field in forms; Markdown allowed."))
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "sort_order", "label"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="customfield_entity_key_unique"),
            models.CheckConstraint(
                condition=models.Q(field_type__in=[t.value for t in FieldType]), name="customfield_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=True) | models.Q(max_value__isnull=True)
                | models.Q(min_value__lte=models.F("max_value")),
                name="customfield_bounds_ordered",
            ),
            models.CheckConstraint(condition=models.Q(decimal_places__lte=6), name="customfield_places_lte_6"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_values(self) -> list[str]:
        return [str(c["value"]) if isinstance(c, dict) else str(c) for c in self.choices or []]

    def choice_label(self, value: str) -> str:
        for c in self.choices or []:
            if isinstance(c, dict) and str(c.get("value")) == str(value):
                return str(c.get("label", value))
        return str(value)
