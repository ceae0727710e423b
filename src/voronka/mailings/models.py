"""Outbound email: templates, sequences (reanimation and outreach), enrolments, sends, unsubscribes,
renewal and upsell rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    RU = "ru", _("Russian")
    EN = "en", _("English")


class EmailTemplate(models.Model):
    """A typical email: subject and body with a fixed set of variables (``mailings.rendering``)."""

    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RU)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        ordering = ["name", "language"]
        constraints = [models.UniqueConstraint(fields=["name", "language"], name="mail_template_name_lang_uniq")]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class SequenceKind(models.TextChoices):
    REANIMATION = "reanimation", _("Reanimation")
    OUTREACH = "outreach", _("Outreach")


class Sequence(models.Model):
    """Steps of automatic emails with the rules that enrol a client."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=SequenceKind.choices, default=SequenceKind.REANIMATION)
    is_active = models.BooleanField(_("active"), default=True)
    lost_reasons = models.ManyToManyField("catalog.LostReason", verbose_name=_("enrol deals lost with"),
                                          blank=True, related_name="+")
    on_refusal = models.BooleanField(_("enrol clients put on the refusal list"), default=False)
    enrol_delay_days = models.PositiveIntegerField(_("enrol after, days"), default=0)
    return_pipeline = models.ForeignKey("pipelines.Pipeline", verbose_name=_("return pipeline"), null=True,
                                        blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=models.Q(enrol_delay_days__lte=3650),
                                              name="mail_sequence_delay_bounded")]

    def __str__(self) -> str:
        return self.name


class SequenceStep(models.Model):
    """One email of a sequence, ``delay_days`` after the previous one (after enrolment for the first)."""

    sequence = models.ForeignKey(Sequence, verbose_name=_("sequence"), on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("position"))
    template = models.ForeignKey(EmailTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+")
    delay_days = models.PositiveIntegerField(_("delay, days"), default=0)

    class Meta:
        verbose_name = _("sequence step")
        verbose_name_plural = _("sequence steps")
        ordering = ["sequence", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sequence", "position"], name="mail_step_position_uniq"),
            models.CheckConstraint(condition=models.Q(delay_days__lte=3650), name="mail_step_delay_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} #{self.position}"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FINISHED = "finished", _("Finished")
    STOPPED = "stopped", _("Stopped")
    RETURNED = "returned", _("Returned to the pipeline")


class Enrolment(models.Model):
    """A client going through a sequence; ``next_position`` is the step to send at ``next_due_at``."""

    sequence = models.ForeignKey(Sequence, verbose_name=_("sequence"), on_delete=models.CASCADE,
                                 related_name="enrolments")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.CASCADE,
                               related_name="+")
    source_deal = models.ForeignKey("deals.Deal", verbose_name=_("lost deal"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.PROTECT,
                                related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=EnrolmentStatus.choices,
                              default=EnrolmentStatus.ACTIVE)
    stop_reason = models.CharField(_("stop reason"), max_length=32, blank=True, default="")
    next_position = models.PositiveIntegerField(_("next step"), default=1)
    next_due_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    return_deal = models.ForeignKey("deals.Deal", verbose_name=_("return deal"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    enrolled_at = models.DateTimeField(_("enrolled at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-enrolled_at"]
        constraints = [models.UniqueConstraint(fields=["sequence", "client"], condition=models.Q(status="active"),
                                               name="mail_one_active_enrolment")]
        indexes = [models.Index(fields=["next_due_at"], name="mail_enrol_due_idx",
                                condition=models.Q(status="active"))]

    def __str__(self) -> str:
        return f"{self.sequence} · {self.client_id}"


class Send(models.Model):
    """One email to a client: from a deal or client page, a sequence step or a stage action.

    ``token`` makes the tracked link and the unsubscribe link; ``claimed_at`` guards delivery so that two
    workers never send one row twice; ``sent_at`` is set when the mail server accepted it.
    """

    template = models.ForeignKey(EmailTemplate, verbose_name=_("template"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    enrolment = models.ForeignKey(Enrolment, verbose_name=_("enrolment"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="sends")
    position = models.PositiveIntegerField(_("step"), null=True, blank=True)
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+")
    deal = models.ForeignKey("deals.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sender"), on_delete=models.PROTECT,
                               related_name="+")
    to_email = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=1000)
    body = models.TextField(_("body"))
    automatic = models.BooleanField(_("automatic"), default=False)
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sent email")
        verbose_name_plural = _("sent emails")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "position"], name="mail_send_step_once")]
        indexes = [models.Index(fields=["created_at"], name="mail_send_pending_idx",
                                condition=models.Q(sent_at=None))]

    def __str__(self) -> str:
        return self.subject


class Unsubscribe(models.Model):
    """A client that asked for no more automatic email."""

    client = models.OneToOneField("clients.Client", verbose_name=_("client"), on_delete=models.CASCADE,
                                  related_name="+")
    email = models.EmailField(_("email"), blank=True, default="")
    send = models.ForeignKey(Send, verbose_name=_("from email"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("unsubscribe")
        verbose_name_plural = _("unsubscribes")

    def __str__(self) -> str:
        return str(self.client_id)


class RenewalRule(models.Model):
    """A product sold for a term: a won deal with it opens a Renewal deal ``days_before`` its end."""

    product = models.OneToOneField("catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE,
                                   related_name="+")
    term_months = models.PositiveIntegerField(_("term, months"))
    days_before = models.PositiveIntegerField(_("open the renewal deal, days before the end"), default=30)
    pipeline = models.ForeignKey("pipelines.Pipeline", verbose_name=_("pipeline"), on_delete=models.PROTECT,
                                 related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("renewal rule")
        verbose_name_plural = _("renewal rules")
        constraints = [models.CheckConstraint(condition=models.Q(term_months__gte=1, term_months__lte=240,
                                                                 days_before__lte=3650),
                                              name="mail_renewal_bounds")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.term_months}"


class UpsellRule(models.Model):
    """After a won deal with ``product``, open a deal for ``offer`` ``after_days`` later."""

    product = models.ForeignKey("catalog.Product", verbose_name=_("won product"), on_delete=models.CASCADE,
                                related_name="+")
    offer = models.ForeignKey("catalog.Product", verbose_name=_("offered product"), on_delete=models.CASCADE,
                              related_name="+")
    after_days = models.PositiveIntegerField(_("after, days"), default=30)
    pipeline = models.ForeignKey("pipelines.Pipeline", verbose_name=_("pipeline"), on_delete=models.PROTECT,
                                 related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("upsell rule")
        verbose_name_plural = _("upsell rules")
        constraints = [
            models.UniqueConstraint(fields=["product", "offer"], name="mail_upsell_uniq"),
            models.CheckConstraint(condition=~models.Q(product=models.F("offer")), name="mail_upsell_other_product"),
            models.CheckConstraint(condition=models.Q(after_days__lte=3650), name="mail_upsell_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} → {self.offer_id}"


class FollowUp(models.Model):
    """A deal a renewal or upsell rule opened for a won deal: once per (rule, won deal)."""

    rule_key = models.CharField(_("rule"), max_length=40)
    won_deal = models.ForeignKey("deals.Deal", verbose_name=_("won deal"), on_delete=models.CASCADE,
                                 related_name="+")
    created_deal = models.ForeignKey("deals.Deal", verbose_name=_("created deal"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("follow-up deal")
        verbose_name_plural = _("follow-up deals")
        constraints = [models.UniqueConstraint(fields=["rule_key", "won_deal"], name="mail_followup_once")]

    def __str__(self) -> str:
        return f"{self.rule_key} · {self.won_deal_id}"
