"""Sales plans: a target amount and/or count of won deals per month for a manager or a team (DESIGN.md §3).

A plan names exactly one subject (a user or a team, a database constraint) and optionally a pipeline
(none = every pipeline). There is at most one plan per month, subject and pipeline (conditional unique
constraints, because NULL pipelines are distinct in a plain unique constraint on both databases).
``month`` is the first day of the month (the services normalise it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SalesPlan(models.Model):
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("manager"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="sales_plans")
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="sales_plans")
    pipeline = models.ForeignKey("pipelines.Pipeline", verbose_name=_("pipeline"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+",
                                 help_text=_("Empty: the plan covers every pipeline."))
    target_amount = models.DecimalField(_("target amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    target_count = models.PositiveIntegerField(_("target count of won deals"), null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sales plan")
        verbose_name_plural = _("sales plans")
        ordering = ["month", "id"]
        indexes = [models.Index(fields=["month", "pipeline"], name="salesplan_month_pipeline_idx")]
        constraints = [
            models.CheckConstraint(condition=(Q(user__isnull=False) & Q(team__isnull=True))
                                   | (Q(user__isnull=True) & Q(team__isnull=False)),
                                   name="salesplan_one_subject"),
            models.CheckConstraint(condition=Q(target_amount__isnull=False) | Q(target_count__isnull=False),
                                   name="salesplan_has_target"),
            models.CheckConstraint(condition=Q(target_amount__isnull=True) | Q(target_amount__gte=0),
                                   name="salesplan_amount_gte_0"),
            models.UniqueConstraint(fields=["month", "user", "pipeline"], name="salesplan_user_pipeline_unique",
                                    condition=Q(user__isnull=False, pipeline__isnull=False)),
            models.UniqueConstraint(fields=["month", "user"], name="salesplan_user_all_unique",
                                    condition=Q(user__isnull=False, pipeline__isnull=True)),
            models.UniqueConstraint(fields=["month", "team", "pipeline"], name="salesplan_team_pipeline_unique",
                                    condition=Q(team__isnull=False, pipeline__isnull=False)),
            models.UniqueConstraint(fields=["month", "team"], name="salesplan_team_all_unique",
                                    condition=Q(team__isnull=False, pipeline__isnull=True)),
        ]

    def __str__(self) -> str:
        subject = self.user if self.user_id else self.team
        return f"{self.month:%Y-%m} {subject}"
