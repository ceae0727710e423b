"""Deals, their product lines and the append-only stage transition log."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.core.append_only import AppendOnlyModel
from voronka.core.currency import CURRENCY_CHOICES, ISO_4217_CODES, default_currency


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Deal(models.Model):
    title = models.CharField(_("title"), max_length=255)
    pipeline = models.ForeignKey("pipelines.Pipeline", verbose_name=_("pipeline"), on_delete=models.PROTECT,
                                 related_name="deals")
    stage = models.ForeignKey("pipelines.Stage", verbose_name=_("stage"), on_delete=models.PROTECT,
                              related_name="deals")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.PROTECT,
                               related_name="deals")
    contact = models.ForeignKey("clients.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="deals")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="deals")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=default_currency)
    source = models.ForeignKey("catalog.Source", verbose_name=_("source"), null=True, blank=True,
                               on_delete=models.PROTECT)
    channel = models.ForeignKey("catalog.Channel", verbose_name=_("channel"), null=True, blank=True,
                                on_delete=models.PROTECT)
    campaign = models.ForeignKey("catalog.Campaign", verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.PROTECT)
    product = models.ForeignKey("catalog.Product", verbose_name=_("main product"), null=True, blank=True,
                                on_delete=models.PROTECT)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN)
    lost_reason = models.ForeignKey("catalog.LostReason", verbose_name=_("lost reason"), null=True, blank=True,
                                    on_delete=models.PROTECT)
    lost_comment = models.TextField(_("lost comment"), blank=True, default="")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    is_new_client = models.BooleanField(_("new client"), default=True,
                                        help_text=_("The client had no won deal when this deal was created."))
    # The furthest stage the deal visited in its current pipeline (its log: the stage it was created on and
    # every ``to_stage``), in the pipeline's current order; kept in step by the services and reorder_stages.
    furthest_stage = models.ForeignKey("pipelines.Stage", verbose_name=_("furthest stage"), on_delete=models.PROTECT,
                                       related_name="+")
    # The owner's team when the deal was created, reassigned or handed off: team reports read this snapshot.
    owner_team = models.ForeignKey("accounts.Team", verbose_name=_("owner's team"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    is_archived = models.BooleanField(
        _("archived"), default=False,
        help_text=_("A closed deal put away (a mistake, a duplicate): out of lists, search and reports; restorable."))
    version = models.PositiveIntegerField(_("version"), default=1)
    stage_entered_at = models.DateTimeField(_("on stage since"))
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["pipeline", "status", "stage"], name="deal_board_idx"),
            # The kanban reads each column's first page in board order without sorting the whole pipeline.
            models.Index(fields=["pipeline", "status", "stage", "stage_entered_at", "id"], name="deal_board_order_idx"),
            models.Index(fields=["owner", "status"], name="deal_owner_status_idx"),
            models.Index(fields=["status", "closed_at"], name="deal_status_closed_idx"),
            models.Index(fields=["client", "status"], name="deal_client_status_idx"),
            # Reports: cohorts of created deals, closed deals per period, both per pipeline.
            models.Index(fields=["pipeline", "created_at"], name="deal_pipeline_created_idx"),
            models.Index(fields=["pipeline", "status", "closed_at"], name="deal_pipeline_closed_idx"),
            # plan-fact: the stage win probabilities (closed deals by furthest stage, an index-only scan) and the
            # open deals expected to close in the month.
            models.Index(fields=["furthest_stage", "status", "is_archived"], name="deal_furthest_status_idx"),
            models.Index(fields=["status", "expected_close_date"], name="deal_status_expected_idx"),
            # win-rate and cycle per manager: an index-only scan (users first, then their closed deals).
            models.Index(fields=["owner", "status", "is_archived", "closed_at", "created_at"],
                         name="deal_owner_closed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_gte_0"),
            models.CheckConstraint(condition=models.Q(status__in=[s.value for s in DealStatus]),
                                   name="deal_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=DealStatus.LOST) | models.Q(lost_reason__isnull=False),
                name="deal_lost_has_reason",
            ),
            models.CheckConstraint(
                condition=(models.Q(status=DealStatus.OPEN) & models.Q(closed_at__isnull=True))
                | (~models.Q(status=DealStatus.OPEN) & models.Q(closed_at__isnull=False)),
                name="deal_closed_at_matches_status",
            ),
            models.CheckConstraint(condition=~models.Q(title=""), name="deal_title_not_empty"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="deal_version_gte_1"),
            models.CheckConstraint(condition=models.Q(currency__in=ISO_4217_CODES), name="deal_currency_iso"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.stage_id and self.pipeline_id and self.stage.pipeline_id != self.pipeline_id:
            raise ValidationError({"stage": _("The stage belongs to another pipeline.")})

    @property
    def is_open(self) -> bool:
        return self.status == DealStatus.OPEN


class DealLine(models.Model):
    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    discount_pct = models.DecimalField(_("discount, %"), max_digits=5, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("deal line")
        verbose_name_plural = _("deal lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="dealline_quantity_gt_0"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="dealline_price_gte_0"),
            models.CheckConstraint(condition=models.Q(discount_pct__gte=0) & models.Q(discount_pct__lte=100),
                                   name="dealline_discount_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"

    @property
    def total(self) -> Decimal:
        gross = self.quantity * self.price
        return (gross * (Decimal(100) - self.discount_pct) / Decimal(100)).quantize(Decimal("0.01"))


class TransitionKind(models.TextChoices):
    CREATED = "created", _("Created")
    FORWARD = "forward", _("Forward")
    SKIP = "skip", _("Skipped stages")
    BACKWARD = "backward", _("Backward")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    REOPEN = "reopen", _("Reopened")
    PIPELINE_CHANGE = "pipeline_change", _("Pipeline changed")


class StageTransition(AppendOnlyModel):
    """One row per stage change of a deal; every funnel figure derives from this log."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="transitions")
    # The pipeline the deal is in after this transition (for ``pipeline_change``: the new one).
    pipeline = models.ForeignKey("pipelines.Pipeline", verbose_name=_("pipeline"), on_delete=models.PROTECT,
                                 related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=TransitionKind.choices)
    # The reverse names let pipelines read a stage's history (delete, archive, reorder) without importing deals.
    from_stage = models.ForeignKey("pipelines.Stage", verbose_name=_("from stage"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="transitions_out")
    to_stage = models.ForeignKey("pipelines.Stage", verbose_name=_("to stage"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="transitions_in")
    by_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), db_index=True)
    seconds_in_from_stage = models.PositiveBigIntegerField(_("seconds in previous stage"), default=0)

    class Meta:
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["deal", "at"], name="transition_deal_at_idx"),
            models.Index(fields=["to_stage", "at"], name="transition_to_stage_idx"),
            models.Index(fields=["pipeline", "at"], name="transition_pipeline_at_idx"),  # flow reports
            # days on stages (funnel, manager-stage): a deal's stays summed per stage, index-only
            models.Index(fields=["deal", "from_stage", "seconds_in_from_stage"], name="transition_deal_stay_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=[k.value for k in TransitionKind]),
                                   name="transition_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id} ({self.kind})"



class DealStageStay(models.Model):
    """A deal's time on one stage, summed over its stays: the stage log per (deal, stage), kept in the same
    transaction as each log row (``deals.stays.record``) and rebuilt from the log by the migration and the
    bulk writers (demo, import).

    ``seconds`` is the sum of the log's ``seconds_in_from_stage`` of the stays that ended (the current stay of
    a deal on its stage is not in it, as in the log); ``entries`` counts the log rows arriving at the stage;
    ``last_left_at`` is ``NULL`` while the deal never left the stage (days on a stage count only deals that
    left it).
    """

    # no index of its own: the unique (deal, stage) constraint's index starts with the deal
    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="stage_stays",
                             db_index=False)
    stage = models.ForeignKey("pipelines.Stage", verbose_name=_("stage"), on_delete=models.PROTECT,
                              related_name="+")
    seconds = models.PositiveBigIntegerField(_("seconds on the stage"), default=0)
    entries = models.PositiveIntegerField(_("entries"), default=0)
    first_entered_at = models.DateTimeField(_("first entered at"), null=True, blank=True)
    last_left_at = models.DateTimeField(_("last left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("time on a stage")
        verbose_name_plural = _("time on stages")
        constraints = [
            models.UniqueConstraint(fields=["deal", "stage"], name="stay_deal_stage_unique"),
        ]
        indexes = [
            # days on stages (funnel cohort): the stays of the cohort's deals that left the stage, index-only
            models.Index(fields=["deal", "stage", "seconds"], name="stay_deal_left_secs_idx",
                         condition=models.Q(last_left_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} @ {self.stage_id}: {self.seconds} s"


class DealListPreference(models.Model):
    """The columns a user shows in the deal list, in order (keys of ``deals.columns``; the title is always
    first and not stored). Written by ``services.set_deal_list_columns``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), primary_key=True,
                                on_delete=models.CASCADE, related_name="deal_list_preference")
    columns = models.JSONField(_("columns"), default=list)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("deal list preference")
        verbose_name_plural = _("deal list preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {', '.join(self.columns)}"
