"""Tasks (the manager's main tool, each ending in an outcome) and the timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")
    DEMO = "demo", _("Demo")
    OTHER = "other", _("Other")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    RESULT = "result", _("Result")
    POSTPONE = "postpone", _("Postpone")
    REFUSAL = "refusal", _("Refusal")


class Task(models.Model):
    deal = models.ForeignKey("deals.Deal", verbose_name=_("deal"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="tasks")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT,
                                 related_name="tasks")
    kind = models.CharField(_("type"), max_length=16, choices=TaskKind.choices, default=TaskKind.CALL)
    title = models.CharField(_("title"), max_length=255)
    due_date = models.DateField(_("due date"))
    due_time = models.TimeField(_("due time"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    outcome_comment = models.TextField(_("outcome comment"), blank=True, default="")
    lost_reason = models.ForeignKey("catalog.LostReason", verbose_name=_("refusal reason"), null=True,
                                    blank=True, on_delete=models.PROTECT)
    follow_up = models.ForeignKey("self", verbose_name=_("follow-up task"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("completed by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "due_time", "id"]
        indexes = [
            models.Index(fields=["deal", "status"], name="task_deal_status_idx"),
            # My day's counts and lists: the first tasks of a day (range) in (date, time, id) order, read from
            # the index (PostgreSQL's ASC is NULLS LAST, as My day sorts untimed tasks); they replace the
            # (status, due_date) and (assignee, status, due_date) indexes, their prefixes
            models.Index(fields=["status", "due_date", "due_time", "id"], name="task_status_due_time_idx"),
            models.Index(fields=["assignee", "status", "due_date", "due_time"], name="task_assignee_due_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(deal__isnull=False) | models.Q(client__isnull=False),
                                   name="task_has_deal_or_client"),
            models.CheckConstraint(condition=models.Q(status__in=[s.value for s in TaskStatus]),
                                   name="task_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=TaskStatus.DONE)
                | (models.Q(outcome__in=[o.value for o in Outcome]) & ~models.Q(outcome_comment="")
                   & models.Q(completed_at__isnull=False)),
                name="task_done_has_outcome",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=TaskStatus.OPEN) | models.Q(outcome=""),
                name="task_open_has_no_outcome",
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome=Outcome.REFUSAL) | models.Q(lost_reason__isnull=False),
                name="task_refusal_has_reason",
            ),
            models.CheckConstraint(condition=~models.Q(title=""), name="task_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")
    STAGE_CHANGE = "stage_change", _("Stage change")
    TASK = "task", _("Task completed")
    SYSTEM = "system", _("System event")


class Activity(models.Model):
    """A timeline entry of a deal and/or client."""

    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    deal = models.ForeignKey("deals.Deal", verbose_name=_("deal"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="activities")
    client = models.ForeignKey("clients.Client", verbose_name=_("client"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="activities")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("text"), blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["deal", "at"], name="activity_deal_at_idx"),
            models.Index(fields=["client", "at"], name="activity_client_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(deal__isnull=False) | models.Q(client__isnull=False),
                                   name="activity_has_deal_or_client"),
            models.CheckConstraint(condition=models.Q(kind__in=[k.value for k in ActivityKind]),
                                   name="activity_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"
