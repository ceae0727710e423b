"""Outgoing webhooks: subscriptions of an external URL to domain events, and one delivery per event."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

# The verbs a subscription may choose: the business events the services record (see ``record_event``).
# Security and configuration events (sign-ins, tokens, passwords, settings) are never sent out.
WEBHOOK_VERBS: tuple[str, ...] = (
    "client.created", "client.updated", "client.qualified", "client.refused", "contact.created",
    "deal.created", "deal.updated", "deal.lines_set", "deal.moved", "deal.pipeline_changed", "deal.reassigned",
    "deal.won", "deal.lost", "deal.reopened",
    "task.created", "task.updated", "task.cancelled", "task.result", "task.postpone", "task.refusal",
    "timeline.added", "form.submitted", "call.logged", "email.received",
)
ALL_VERBS = "*"
TEST_VERB = "webhook.test"


class WebhookSubscription(models.Model):
    """An administrator's subscription: POST the chosen events to ``target_url``, signed with ``secret``."""

    name = models.CharField(_("name"), max_length=120)
    target_url = models.URLField(_("target URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    secret = models.CharField(_("secret"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey("accounts.User", verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(target_url__startswith="http://")
                                   | models.Q(target_url__startswith="https://"),
                                   name="webhook_url_http"),
        ]

    def __str__(self) -> str:
        return self.name

    def wants(self, verb: str) -> bool:
        return verb in self.event_types or (ALL_VERBS in self.event_types and verb in WEBHOOK_VERBS)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    FAILED = "failed", _("Failed, will retry")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead")


class WebhookDelivery(models.Model):
    """One event for one subscription: sent until a 2xx answer, with backoff, then ``dead``.

    ``event_id`` is the outbox row's id: the receiver dedupes on it (at-least-once delivery). A worker claims
    a row by setting ``claimed_until`` (a lease); a worker that dies mid-way leaves a lease that expires, and
    the tick pass sends the row again.
    """

    subscription = models.ForeignKey(WebhookSubscription, verbose_name=_("subscription"),
                                     on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.BigIntegerField(_("event id"))
    event_type = models.CharField(_("event type"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(_("last response time, ms"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=2000, blank=True, default="")
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_delivery_once"),
            models.CheckConstraint(condition=models.Q(status__in=DeliveryStatus.values),
                                   name="webhook_delivery_status"),
        ]
        indexes = [
            # the tick pass reads only what still waits to be sent: a small partial index
            models.Index(fields=["next_attempt_at"], name="webhook_due_idx",
                         condition=models.Q(status__in=["pending", "failed"])),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.event_id} → {self.subscription_id}"


# --- web forms ----------------------------------------------------------------------------------------------

# The fields a web form may ask, and where each one lands (docs/integrations.md).
FORM_FIELDS: tuple[str, ...] = ("name", "company", "phone", "email", "comment")
UTM_KEYS: tuple[str, ...] = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


class AssignMode(models.TextChoices):
    FIXED = "fixed", _("A fixed manager")
    ROUND_ROBIN = "round_robin", _("Round-robin within a team")
    LEAST_LOADED = "least_loaded", _("The least loaded in a team")


class LeadAssignment(models.Model):
    """Who gets the leads of a source (a web form, the mailbox): a fixed manager, or a team's active managers
    and lead in turn or the least loaded of them. The turn lives in the one store of ``accounts``
    (``AssignmentTurn`` under ``turn_key``); ``leadforms.pick_assignee`` chooses."""

    assign_mode = models.CharField(_("assignment"), max_length=16, choices=AssignMode.choices,
                                   default=AssignMode.FIXED)
    assignee = models.ForeignKey("accounts.User", verbose_name=_("manager"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    @property
    def turn_key(self) -> str:  # pragma: no cover - each source names its pool
        raise NotImplementedError


class LeadForm(LeadAssignment):
    """A public lead form (``/forms/<slug>/``): each accepted submission is a client, a deal on ``pipeline``
    and its first task, created by the same service as quick add."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200)
    pipeline = models.ForeignKey("pipelines.Pipeline", verbose_name=_("pipeline"), on_delete=models.PROTECT,
                                 related_name="+")
    fields = models.JSONField(_("fields"), default=list, blank=True)
    source = models.ForeignKey("catalog.Source", verbose_name=_("default source"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    task_title = models.CharField(_("first task"), max_length=255, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(condition=(models.Q(assign_mode="fixed", assignee__isnull=False)
                                              | models.Q(assign_mode__in=["round_robin", "least_loaded"],
                                                         team__isnull=False)),
                                   name="leadform_assignment"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def turn_key(self) -> str:
        return f"form:{self.pk}"


class SubmissionStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class FormSubmission(models.Model):
    """Every post to a web form, accepted or not (with the reason), for the spam and lead log."""

    form = models.ForeignKey(LeadForm, verbose_name=_("web form"), on_delete=models.CASCADE,
                             related_name="submissions")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=SubmissionStatus.choices)
    reason = models.CharField(_("reason"), max_length=32, blank=True, default="")
    detail = models.CharField(_("detail"), max_length=500, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True, default="")
    referrer = models.CharField(_("referrer"), max_length=1000, blank=True, default="")
    utm = models.JSONField(_("UTM parameters"), default=dict, blank=True)
    data = models.JSONField(_("submitted values"), default=dict, blank=True)
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    deal = models.ForeignKey("deals.Deal", verbose_name=_("deal"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    existing_client = models.BooleanField(_("known client"), default=False)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=SubmissionStatus.values),
                                   name="formsubmission_status"),
        ]
        indexes = [models.Index(fields=["form", "created_at"], name="formsubmission_form_idx")]

    def __str__(self) -> str:
        return f"{self.form_id} {self.status} {self.created_at:%Y-%m-%d %H:%M}"


class CallDirection(models.TextChoices):
    IN = "in", _("Incoming")
    OUT = "out", _("Outgoing")


class CallStatus(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")


class CapturedLead(models.Model):
    """What a capture channel (a call, an email) leads to: the client it matched or created, his deal, whether
    it was a new lead, and when it arrived."""

    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    deal = models.ForeignKey("deals.Deal", verbose_name=_("deal"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    new_lead = models.BooleanField(_("new lead"), default=False)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        abstract = True


class CallEvent(CapturedLead):
    """One call reported by the telephony webhook; ``event_id`` (the provider's) makes a repeat a no-op."""

    event_id = models.CharField(_("event id"), max_length=100, unique=True)
    direction = models.CharField(_("direction"), max_length=3, choices=CallDirection.choices)
    status = models.CharField(_("status"), max_length=8, choices=CallStatus.choices)
    caller = models.CharField(_("caller"), max_length=32)
    callee = models.CharField(_("callee"), max_length=32)
    started_at = models.DateTimeField(_("started at"))
    duration = models.PositiveIntegerField(_("duration, seconds"), default=0)
    recording_url = models.URLField(_("recording URL"), max_length=1000, blank=True, default="")
    operator = models.ForeignKey("accounts.User", verbose_name=_("operator"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(direction__in=["in", "out"]), name="call_direction_valid"),
            models.CheckConstraint(condition=models.Q(status__in=["answered", "missed"]), name="call_status_valid"),
            models.CheckConstraint(condition=models.Q(recording_url="")
                                   | models.Q(recording_url__startswith="http://")
                                   | models.Q(recording_url__startswith="https://"),
                                   name="call_recording_url_http"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.caller} → {self.callee}"


class CalendarFeed(models.Model):
    """A user's secret iCalendar address ``/calendar/<token>.ics``: only a SHA-256 of the token is stored
    (the address is shown once); a new one revokes the old, and a revoked one answers 404."""

    user = models.ForeignKey("accounts.User", verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="calendar_feeds")
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(revoked_at__isnull=True),
                                    name="calendar_feed_one_active_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"


class MailMessage(CapturedLead):
    """One message taken from the mailbox; ``message_id`` makes a message seen twice a no-op."""

    message_id = models.CharField(_("message id"), max_length=255, unique=True)
    sender = models.EmailField(_("sender"))
    subject = models.CharField(_("subject"), max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("email message")
        verbose_name_plural = _("email messages")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


class MailboxSettings(LeadAssignment):
    """Settings › Mailbox: the IMAP account ``voronka tick`` polls and who gets its leads (one row). A field
    left empty falls back to the environment (``VORONKA_IMAP_*``, ``VORONKA_MAIL_*``); see ``connectors``."""

    enabled = models.BooleanField(_("enabled"), default=False)
    host = models.CharField(_("IMAP server"), max_length=255, blank=True, default="")
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    use_ssl = models.BooleanField(_("SSL"), default=True)
    username = models.CharField(_("user"), max_length=255, blank=True, default="")
    password = models.CharField(_("password"), max_length=255, blank=True, default="")
    folder = models.CharField(_("folder"), max_length=255, blank=True, default="")
    pipeline = models.ForeignKey("pipelines.Pipeline", verbose_name=_("pipeline"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("mailbox settings")
        verbose_name_plural = _("mailbox settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(port__isnull=True) | models.Q(port__gte=1, port__lte=65535),
                                   name="mailbox_port_range"),
            models.CheckConstraint(condition=models.Q(assign_mode__in=["fixed", "round_robin", "least_loaded"]),
                                   name="mailbox_assign_mode_valid"),
        ]

    def __str__(self) -> str:
        return self.host or "mailbox"

    @property
    def turn_key(self) -> str:
        return "mailbox"


class TelephonySettings(models.Model):
    """Settings › Telephony: the webhook's secret token (besides ``VORONKA_TELEPHONY_TOKENS``) and where leads
    from unknown numbers go (one row; empty fields fall back to ``VORONKA_TELEPHONY_*``)."""

    token = models.CharField(_("token"), max_length=100, blank=True, default="")
    pipeline = models.ForeignKey("pipelines.Pipeline", verbose_name=_("pipeline"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey("accounts.User", verbose_name=_("manager"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("telephony settings")
        verbose_name_plural = _("telephony settings")

    def __str__(self) -> str:
        return "telephony"
