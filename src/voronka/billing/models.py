"""Money after the deal: the company's requisites, invoices with lines, their payment plan and payments.

An invoice is made from a deal (all its lines, chosen lines or a share of them). A draft has no number;
issuing it takes the next number of the year from ``InvoiceCounter`` (a row locked for the update), so
numbers run without gaps: a cancelled invoice keeps its number and stays. An issued invoice is never
edited: it is cancelled and re-issued (``replaces`` links the new one to the old).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.core.currency import CURRENCY_CHOICES, default_currency


class VatRate(models.TextChoices):
    NONE = "none", _("Without VAT")
    ZERO = "0", _("VAT 0%")
    FIVE = "5", _("VAT 5%")
    SEVEN = "7", _("VAT 7%")
    TEN = "10", _("VAT 10%")
    TWENTY = "20", _("VAT 20%")
    TWENTY_TWO = "22", _("VAT 22%")


def vat_percent(rate: str) -> Decimal | None:
    """The rate as a number of percent, or ``None`` for "without VAT"."""
    return None if rate == VatRate.NONE else Decimal(rate)


class CompanyRequisites(models.Model):
    """The seller on every invoice: one row (``pk=1``), edited by administrators under Settings."""

    legal_name = models.CharField(_("legal name"), max_length=255, blank=True, default="")
    inn = models.CharField(_("INN"), max_length=12, blank=True, default="")
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, default="")
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True, default="")
    address = models.CharField(_("legal address"), max_length=500, blank=True, default="")
    bank_name = models.CharField(_("bank"), max_length=255, blank=True, default="")
    bik = models.CharField(_("BIK"), max_length=9, blank=True, default="")
    corr_account = models.CharField(_("correspondent account"), max_length=20, blank=True, default="")
    settlement_account = models.CharField(_("settlement account"), max_length=20, blank=True, default="")
    director = models.CharField(_("director"), max_length=160, blank=True, default="")
    accountant = models.CharField(_("chief accountant"), max_length=160, blank=True, default="")
    vat_rate = models.CharField(_("default VAT rate"), max_length=4, choices=VatRate.choices,
                                default=VatRate.NONE)
    prices_include_vat = models.BooleanField(_("prices include VAT"), default=True)
    payment_days = models.PositiveSmallIntegerField(_("days to pay"), default=5,
                                                    help_text=_("The due date of a new invoice."))
    # Images printed on invoices and waybills: file names under ``VORONKA_DATA_DIR/media/billing/`` (named by
    # their SHA-256, never overwritten, so an issued invoice keeps the images it was issued with).
    logo = models.CharField(_("logo"), max_length=100, blank=True, default="")
    stamp = models.CharField(_("stamp"), max_length=100, blank=True, default="")
    signature = models.CharField(_("signature"), max_length=100, blank=True, default="")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company requisites")
        verbose_name_plural = _("company requisites")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="company_requisites_singleton"),
            models.CheckConstraint(condition=Q(vat_rate__in=[v.value for v in VatRate]),
                                   name="company_requisites_vat_valid"),
            models.CheckConstraint(condition=Q(payment_days__lte=365), name="company_requisites_days_lte_365"),
        ]

    def __str__(self) -> str:
        return self.legal_name or str(_("Company requisites"))


class ProductVat(models.Model):
    """A product's own VAT rate (without a row: the installation's default)."""

    product = models.OneToOneField("catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE,
                                   related_name="billing_vat")
    vat_rate = models.CharField(_("VAT rate"), max_length=4, choices=VatRate.choices)

    class Meta:
        verbose_name = _("product VAT rate")
        verbose_name_plural = _("product VAT rates")
        constraints = [models.CheckConstraint(condition=Q(vat_rate__in=[v.value for v in VatRate]),
                                              name="product_vat_valid")]

    def __str__(self) -> str:
        return f"{self.product}: {self.get_vat_rate_display()}"


class InvoiceCounter(models.Model):
    """The last invoice number issued in a year; locked (``select_for_update``) to take the next one."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice counter")
        verbose_name_plural = _("invoice counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID)


class Invoice(models.Model):
    deal = models.ForeignKey("deals.Deal", verbose_name=_("deal"), on_delete=models.PROTECT,
                             related_name="invoices")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="invoices")
    year = models.PositiveIntegerField(_("year"), null=True, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=InvoiceStatus.choices,
                              default=InvoiceStatus.DRAFT)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=default_currency)
    prices_include_vat = models.BooleanField(_("prices include VAT"), default=True)
    share_pct = models.DecimalField(_("share, %"), max_digits=5, decimal_places=2, null=True, blank=True,
                                    help_text=_("A partial invoice: this share of the lines."))
    subtotal = models.DecimalField(_("amount without VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    paid_amount = models.DecimalField(_("paid"), max_digits=14, decimal_places=2, default=Decimal("0"))
    seller = models.JSONField(_("seller requisites"), default=dict, blank=True)
    buyer = models.JSONField(_("buyer requisites"), default=dict, blank=True)
    comment = models.CharField(_("payment purpose"), max_length=500, blank=True, default="")
    replaces = models.OneToOneField("self", verbose_name=_("re-issue of"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="replaced_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_date"], name="invoice_status_due_idx")]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="invoice_number_unique_per_year",
                                    condition=Q(number__isnull=False)),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in InvoiceStatus]),
                                   name="invoice_status_valid"),
            models.CheckConstraint(condition=Q(status=InvoiceStatus.DRAFT) | Q(number__isnull=False, year__isnull=False,
                                                                               issue_date__isnull=False),
                                   name="invoice_issued_has_number"),
            models.CheckConstraint(condition=Q(total__gte=0) & Q(paid_amount__gte=0) & Q(vat_amount__gte=0),
                                   name="invoice_amounts_gte_0"),
            models.CheckConstraint(condition=Q(share_pct__isnull=True) | (Q(share_pct__gt=0) & Q(share_pct__lte=100)),
                                   name="invoice_share_range"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        if self.number is None:
            return str(_("Draft invoice %(id)s") % {"id": self.pk})
        return f"{self.number}/{self.year}"

    @property
    def outstanding(self) -> Decimal:
        return max(self.total - self.paid_amount, Decimal("0"))

    @property
    def overpaid(self) -> Decimal:
        return max(self.paid_amount - self.total, Decimal("0"))


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("line number"))
    name = models.CharField(_("name"), max_length=500)
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    unit = models.CharField(_("unit"), max_length=16, default="шт.")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    vat_rate = models.CharField(_("VAT rate"), max_length=4, choices=VatRate.choices, default=VatRate.NONE)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0) & Q(price__gte=0) & Q(amount__gte=0),
                                   name="invoice_line_amounts_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class PlanRow(models.Model):
    """One planned payment of an invoice (rows sum to the invoice total; without rows: one, on the due date)."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE,
                                related_name="plan_rows")
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("planned payment")
        verbose_name_plural = _("planned payments")
        ordering = ["invoice", "due_date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="plan_row_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.due_date}: {self.amount}"


class PaymentMethod(models.TextChoices):
    BANK = "bank", _("Bank transfer")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """Money received against an invoice (a fact); allocated to its plan rows oldest first."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT,
                                related_name="payments")
    paid_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    method = models.CharField(_("method"), max_length=8, choices=PaymentMethod.choices, default=PaymentMethod.BANK)
    reference = models.CharField(_("reference"), max_length=255, blank=True, default="")
    plan_row = models.ForeignKey(PlanRow, verbose_name=_("plan row paid"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="payments",
                                 help_text=_("Chosen by the user; otherwise the payment fills the oldest rows first."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "id"]
        indexes = [models.Index(fields=["paid_on"], name="payment_paid_on_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_gt_0"),
            models.CheckConstraint(condition=Q(method__in=[m.value for m in PaymentMethod]),
                                   name="payment_method_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.paid_on}: {self.amount}"


class OverdueNotice(models.Model):
    """An overdue planned payment already acted on (its task): once per occurrence (``key``)."""

    key = models.CharField(_("occurrence"), max_length=200, unique=True)
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey("activities.Task", verbose_name=_("task"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("overdue payment notice")
        verbose_name_plural = _("overdue payment notices")

    def __str__(self) -> str:
        return self.key


class ShipmentStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("shipment", "Planned")
    SHIPPED = "shipped", pgettext_lazy("shipment", "Shipped")
    DELIVERED = "delivered", pgettext_lazy("shipment", "Delivered")
    RETURNED = "returned", pgettext_lazy("shipment", "Returned")


# The moves a shipment may make (a returned shipment gives its quantities back to what is left to ship).
SHIPMENT_MOVES: dict[str, tuple[str, ...]] = {
    ShipmentStatus.PLANNED: (ShipmentStatus.SHIPPED, ShipmentStatus.RETURNED),
    ShipmentStatus.SHIPPED: (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED),
    ShipmentStatus.DELIVERED: (ShipmentStatus.RETURNED,),
    ShipmentStatus.RETURNED: (),
}


class Shipment(models.Model):
    """Goods sent for a deal under a waybill (ТОРГ-12 / УПД) number: products of the deal and their quantities."""

    deal = models.ForeignKey("deals.Deal", verbose_name=_("deal"), on_delete=models.PROTECT,
                             related_name="shipments")
    number = models.CharField(_("waybill number"), max_length=64)
    shipped_on = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=10, choices=ShipmentStatus.choices,
                              default=ShipmentStatus.PLANNED)
    comment = models.CharField(_("comment"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-shipped_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=[s.value for s in ShipmentStatus]),
                                   name="shipment_status_valid"),
            models.CheckConstraint(condition=~Q(number=""), name="shipment_number_not_empty"),
        ]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE,
                                 related_name="lines")
    # by product, not by deal line: editing the deal's lines replaces them, the shipped goods stay
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="+")
    name = models.CharField(_("name"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_gt_0"),
            models.UniqueConstraint(fields=["shipment", "product"], name="shipment_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.quantity}"


class SurveySetting(models.Model):
    """After-sales survey of a pipeline: this many days after a deal is won its client's contact is asked."""

    pipeline = models.OneToOneField("pipelines.Pipeline", verbose_name=_("pipeline"), on_delete=models.CASCADE,
                                    related_name="survey_setting")
    days_after_won = models.PositiveSmallIntegerField(_("days after won"))

    class Meta:
        verbose_name = _("survey setting")
        verbose_name_plural = _("survey settings")
        constraints = [models.CheckConstraint(condition=Q(days_after_won__gte=0) & Q(days_after_won__lte=365),
                                              name="survey_days_range")]

    def __str__(self) -> str:
        return f"{self.pipeline}: {self.days_after_won}"


class Survey(models.Model):
    """One after-sales survey of a won deal: a tokenized link (only its SHA-256 is kept), one answer."""

    deal = models.OneToOneField("deals.Deal", verbose_name=_("deal"), on_delete=models.CASCADE,
                                related_name="survey")
    email = models.EmailField(_("sent to"), blank=True, default="")
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("after-sales survey")
        verbose_name_plural = _("after-sales surveys")
        constraints = [
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=10), name="survey_score_0_10"),
            models.CheckConstraint(condition=Q(answered_at__isnull=True) | Q(score__isnull=False),
                                   name="survey_answer_has_score"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.score}"


class StageBillingRule(models.Model):
    """What billing asks of a stage: a deal enters (or passes) it only with its invoices paid."""

    stage = models.OneToOneField("pipelines.Stage", verbose_name=_("stage"), on_delete=models.CASCADE,
                                 related_name="billing_rule")
    requires_paid_invoice = models.BooleanField(_("requires the invoice to be paid"), default=False)

    class Meta:
        verbose_name = _("stage billing rule")
        verbose_name_plural = _("stage billing rules")

    def __str__(self) -> str:
        return f"{self.stage_id}: {self.requires_paid_invoice}"


class PaidMove(models.Model):
    """Automation of a pipeline: a full payment moves an open deal of it to ``stage``."""

    pipeline = models.OneToOneField("pipelines.Pipeline", verbose_name=_("pipeline"), on_delete=models.CASCADE,
                                    related_name="paid_move")
    stage = models.ForeignKey("pipelines.Stage", verbose_name=_("stage after full payment"),
                              on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("move on full payment")
        verbose_name_plural = _("moves on full payment")

    def __str__(self) -> str:
        return f"{self.pipeline_id} → {self.stage_id}"


class ActCounter(models.Model):
    """The last service act number issued in a year (its own sequence, locked like ``InvoiceCounter``)."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("act counter")
        verbose_name_plural = _("act counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ActStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("act", "Draft")
    ISSUED = "issued", pgettext_lazy("act", "Issued")
    SIGNED = "signed", pgettext_lazy("act", "Signed by the client")
    CANCELLED = "cancelled", pgettext_lazy("act", "Cancelled")


# draft → issued (numbered) → signed; a draft or an issued act may be cancelled (it keeps its number).
ACT_MOVES: dict[str, tuple[str, ...]] = {
    ActStatus.DRAFT: (ActStatus.ISSUED, ActStatus.CANCELLED),
    ActStatus.ISSUED: (ActStatus.SIGNED, ActStatus.CANCELLED),
    ActStatus.SIGNED: (),
    ActStatus.CANCELLED: (),
}


class Act(models.Model):
    """A service act («Акт выполненных работ (оказанных услуг)») of a deal: products of the deal and quantities,
    numbered per year without gaps when issued; a cancelled act keeps its number and stays."""

    deal = models.ForeignKey("deals.Deal", verbose_name=_("deal"), on_delete=models.PROTECT, related_name="acts")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="acts")
    year = models.PositiveIntegerField(_("year"), null=True, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ActStatus.choices, default=ActStatus.DRAFT)
    act_date = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=default_currency)
    prices_include_vat = models.BooleanField(_("prices include VAT"), default=True)
    subtotal = models.DecimalField(_("amount without VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    seller = models.JSONField(_("seller requisites"), default=dict, blank=True)
    buyer = models.JSONField(_("buyer requisites"), default=dict, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service act")
        verbose_name_plural = _("service acts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="act_number_unique_per_year",
                                    condition=Q(number__isnull=False)),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in ActStatus]), name="act_status_valid"),
            models.CheckConstraint(condition=Q(status=ActStatus.DRAFT) | Q(number__isnull=False, year__isnull=False),
                                   name="act_issued_has_number"),
            models.CheckConstraint(condition=Q(total__gte=0) & Q(vat_amount__gte=0), name="act_amounts_gte_0"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        if self.number is None:
            return str(_("Draft act %(id)s") % {"id": self.pk})
        return f"{self.number}/{self.year}"


class ActLine(models.Model):
    act = models.ForeignKey(Act, verbose_name=_("act"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("line number"))
    # by product, like shipments: what is left to deliver is counted per product of the deal
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=500)
    unit = models.CharField(_("unit"), max_length=16, default="усл.")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    vat_rate = models.CharField(_("VAT rate"), max_length=4, choices=VatRate.choices, default=VatRate.NONE)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("act line")
        verbose_name_plural = _("act lines")
        ordering = ["act", "position"]
        constraints = [
            models.UniqueConstraint(fields=["act", "position"], name="act_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0) & Q(price__gte=0) & Q(amount__gte=0),
                                   name="act_line_amounts_valid"),
        ]

    def __str__(self) -> str:
        return self.name
