"""Clients (companies or people), their contact persons, qualification answers and refusals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PERSON = "person", _("Person")


class ClientStatus(models.TextChoices):
    LEAD = "lead", _("Lead")
    CLIENT = "client", _("Client")
    REFUSED = "refused", _("Refused")
    ARCHIVED = "archived", _("Archived")


class Rating(models.TextChoices):
    A = "A", _("A: hot prospect")
    B = "B", _("B: warm prospect")
    C = "C", _("C: cold prospect")


class Language(models.TextChoices):
    """The language the client is written to in (surveys, documents sent to him)."""

    RU = "ru", "Русский"
    EN = "en", "English"


class Client(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=ClientKind.choices, default=ClientKind.COMPANY)
    name = models.CharField(_("name"), max_length=255)
    name_normalized = models.CharField(_("normalised name"), max_length=255, db_index=True, editable=False)
    inn = models.CharField(_("INN / tax id"), max_length=12, blank=True, default="", db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="", db_index=True)
    email = models.EmailField(_("email"), blank=True, default="", db_index=True)
    website = models.CharField(_("website"), max_length=255, blank=True, default="")
    address = models.CharField(_("address"), max_length=500, blank=True, default="")
    requisites = models.TextField(_("requisites"), blank=True, default="",
                                  help_text=_("Legal name, KPP, OGRN, bank details."))
    # Structured requisites (invoices print them; a stage may require them through the field registry).
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, default="")
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True, default="")
    legal_address = models.CharField(_("legal address"), max_length=500, blank=True, default="")
    bank_name = models.CharField(_("bank"), max_length=255, blank=True, default="")
    bik = models.CharField(_("BIK"), max_length=9, blank=True, default="")
    settlement_account = models.CharField(_("settlement account"), max_length=20, blank=True, default="")
    corr_account = models.CharField(_("correspondent account"), max_length=20, blank=True, default="")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.RU,
                                help_text=_("Surveys and documents sent to the client are in this language."))
    region = models.ForeignKey("catalog.Region", verbose_name=_("region"), null=True, blank=True,
                               on_delete=models.PROTECT)
    industry = models.ForeignKey("catalog.Industry", verbose_name=_("industry"), null=True, blank=True,
                                 on_delete=models.PROTECT)
    target_audience = models.ForeignKey("catalog.TargetAudience", verbose_name=_("target audience"),
                                        null=True, blank=True, on_delete=models.PROTECT)
    source = models.ForeignKey("catalog.Source", verbose_name=_("source"), null=True, blank=True,
                               on_delete=models.PROTECT)
    channel = models.ForeignKey("catalog.Channel", verbose_name=_("channel"), null=True, blank=True,
                                on_delete=models.PROTECT)
    campaign = models.ForeignKey("catalog.Campaign", verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.PROTECT)
    rating = models.CharField(_("prospect rating"), max_length=1, choices=Rating.choices, blank=True, default="")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible manager"),
                                    on_delete=models.PROTECT, related_name="clients")
    status = models.CharField(_("status"), max_length=16, choices=ClientStatus.choices, default=ClientStatus.LEAD)
    refusal_reason = models.ForeignKey("catalog.LostReason", verbose_name=_("refusal reason"), null=True,
                                       blank=True, on_delete=models.PROTECT)
    refusal_comment = models.TextField(_("refusal comment"), blank=True, default="")
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    version = models.PositiveIntegerField(_("version"), default=1,
                                          help_text=_("Bumped by every write; edits check the one they saw."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        indexes = [models.Index(fields=["responsible", "status"], name="client_resp_status_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=[s.value for s in ClientStatus]),
                                   name="client_status_valid"),
            models.CheckConstraint(condition=models.Q(rating__in=["", "A", "B", "C"]), name="client_rating_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=ClientStatus.REFUSED) | models.Q(refusal_reason__isnull=False),
                name="client_refused_has_reason",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="client_name_not_empty"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="client_version_gte_1"),
            models.CheckConstraint(condition=models.Q(language__in=["ru", "en"]), name="client_language_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=255)
    position = models.CharField(_("position"), max_length=160, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="", db_index=True)
    email = models.EmailField(_("email"), blank=True, default="", db_index=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        constraints = [models.CheckConstraint(condition=~models.Q(name=""), name="contact_name_not_empty")]

    def __str__(self) -> str:
        return self.name


class QuestionSet(models.Model):
    name = models.CharField(_("name"), max_length=160, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("qualification question set")
        verbose_name_plural = _("qualification question sets")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    question_set = models.ForeignKey(QuestionSet, verbose_name=_("question set"), on_delete=models.CASCADE,
                                     related_name="questions")
    text = models.CharField(_("question"), max_length=500)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("qualification question")
        verbose_name_plural = _("qualification questions")
        ordering = ["question_set", "sort_order", "id"]

    def __str__(self) -> str:
        return self.text


class QualificationAnswer(models.Model):
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE,
                                 related_name="answers")
    answer = models.TextField(_("answer"))
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), auto_now=True)

    class Meta:
        verbose_name = _("qualification answer")
        verbose_name_plural = _("qualification answers")
        constraints = [
            models.UniqueConstraint(fields=["client", "question"], name="answer_client_question_unique"),
            models.CheckConstraint(condition=~models.Q(answer=""), name="answer_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.answer}"
