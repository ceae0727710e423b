"""The notification centre: one row per occurrence a user is told about, and his delivery choices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    DEAL_HANDED = "deal_handed", _("A deal handed to you")
    TASK_ASSIGNED = "task_assigned", _("A task assigned to you by someone else")
    NEW_LEAD = "new_lead", _("A new lead assigned to you")
    DEAL_LOST = "deal_lost", _("A deal of your team lost")
    TASK_OVERDUE = "task_overdue", _("Your task is overdue")
    DEAL_ROTTING = "deal_rotting", _("Your deal is past its stage's limit")
    DEAL_NO_TASK = "deal_no_task", _("An open deal of your team without an open task")
    WEBHOOK_PAUSED = "webhook_paused", _("A webhook subscription paused (administrators)")
    TASK_DUE_SOON = "task_due_soon", _("A timed task of yours is due soon")
    HANDOFF_NOT_ACCEPTED = "handoff_idle", _("A deal handed to your team is not taken up (leads)")
    SALES_DIP = "sales_dip", _("A sales dip detected (leads and heads)")
    DAILY_DIGEST = "daily_digest", _("Daily email: my day (overdue, today, stuck deals)")
    MORNING_SUMMARY = "morning_summary", _("Morning summary of the team (leads and heads)")
    STAGE_ACTION = "stage_action", _("A deal reached a stage that tells you (stage actions)")


class Delivery(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("By email")
    BOTH = "both", _("In the app and by email")
    NONE = "none", _("Do not notify")


# Without a saved choice: what is addressed to the user personally also goes by email; monitors stay in-app.
DEFAULT_DELIVERY: dict[str, str] = {
    EventType.DEAL_HANDED: Delivery.BOTH,
    EventType.TASK_ASSIGNED: Delivery.BOTH,
    EventType.NEW_LEAD: Delivery.BOTH,
    EventType.DEAL_LOST: Delivery.IN_APP,
    EventType.TASK_OVERDUE: Delivery.IN_APP,
    EventType.DEAL_ROTTING: Delivery.IN_APP,
    EventType.DEAL_NO_TASK: Delivery.IN_APP,
    EventType.WEBHOOK_PAUSED: Delivery.BOTH,
    EventType.TASK_DUE_SOON: Delivery.IN_APP,
    EventType.HANDOFF_NOT_ACCEPTED: Delivery.BOTH,
    EventType.SALES_DIP: Delivery.IN_APP,
    EventType.STAGE_ACTION: Delivery.IN_APP,
    # The digests are opt-in: nobody gets a daily email he did not ask for.
    EventType.DAILY_DIGEST: Delivery.NONE,
    EventType.MORNING_SUMMARY: Delivery.NONE,
}
# Event types that are a scheduled summary: chosen per user, sent once a day, never in the bell by default.
DIGEST_TYPES = (EventType.DAILY_DIGEST, EventType.MORNING_SUMMARY)


class Notification(models.Model):
    """One occurrence told to one user. ``dedupe_key`` names the occurrence (``overdue:task:7:2026-12-01``):
    unique per recipient, so an event handled twice or a monitor run twice notifies once. A row is kept even
    when the user chose email only or nothing (``in_app`` false): it is the record that he was told."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notifications")
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True, default="")
    link_url = models.CharField(_("link"), max_length=500, blank=True, default="")
    target_type = models.CharField(_("target type"), max_length=64, blank=True, default="")
    target_id = models.CharField(_("target id"), max_length=64, blank=True, default="")
    dedupe_key = models.CharField(_("occurrence key"), max_length=200)
    in_app = models.BooleanField(_("shown in the app"), default=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    # The email still owed (the user's choice asked for it and it has not gone yet): sent after commit, and
    # by the retry job when that did not happen (a worker killed in between, the mail server down). A send
    # claims the row until ``email_claimed_until``, so two processes never send it twice at once.
    email_due = models.BooleanField(_("email due"), default=False)
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    email_claimed_until = models.DateTimeField(_("email claimed until"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once_per_occurrence"),
            models.CheckConstraint(condition=models.Q(event_type__in=[t.value for t in EventType]),
                                   name="notification_event_type_valid"),
        ]
        indexes = [
            # The bell: unread, shown, of one user (a partial index keeps it small).
            models.Index(fields=["recipient"], name="notification_unread_idx",
                         condition=models.Q(read_at=None, in_app=True)),
            models.Index(fields=["recipient", "created_at"], name="notification_list_idx"),
            models.Index(fields=["created_at"], name="notification_email_due_idx", condition=models.Q(email_due=True)),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """How one user wants one event type delivered."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="notification_preferences")
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType.choices)
    delivery = models.CharField(_("delivery"), max_length=8, choices=Delivery.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "event_type"], name="notification_preference_unique"),
            models.CheckConstraint(condition=models.Q(event_type__in=[t.value for t in EventType]),
                                   name="notification_preference_type_valid"),
            models.CheckConstraint(condition=models.Q(delivery__in=[d.value for d in Delivery]),
                                   name="notification_preference_delivery_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event_type}: {self.delivery}"


class JobRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobRun(models.Model):
    """One run of a scheduled job for one slot (``automation.scheduler``). The unique ``(job, slot)`` is the
    lock: of several schedulers (processes, hosts, ``voronka tick``) the one whose insert wins runs it."""

    job = models.CharField(_("job"), max_length=64)
    slot = models.DateTimeField(_("slot"))
    due_at = models.DateTimeField(_("run for the moment"))
    status = models.CharField(_("status"), max_length=8, choices=JobRunStatus.choices, default=JobRunStatus.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    host = models.CharField(_("scheduled by"), max_length=200, blank=True, default="")
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-slot", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="job_run_once_per_slot"),
            models.CheckConstraint(condition=models.Q(status__in=[s.value for s in JobRunStatus]),
                                   name="job_run_status_valid"),
        ]
        indexes = [models.Index(fields=["created_at"], name="job_run_created_idx")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot.isoformat()}"


class WorkerHeartbeat(models.Model):
    """A worker process that is (or was) alive: written every few seconds by ``voronka worker``; ``/readyz``
    and the recovery of lost tasks read it."""

    worker_id = models.CharField(_("worker id"), max_length=64, unique=True)
    host = models.CharField(_("host"), max_length=200)
    pid = models.PositiveIntegerField(_("process id"))
    runs_scheduler = models.BooleanField(_("runs the scheduler"), default=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["last_seen"], name="worker_last_seen_idx")]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"
