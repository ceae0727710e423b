"""The transactional outbox: one row per domain event, written in the transaction of the change."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """A domain event waiting for (or done with) dispatch to its handlers.

    ``dispatched_at`` is set once every handler has run; a row without it is picked up again by the retry
    pass (``voronka tick``), so a worker that dies mid-way loses nothing.
    """

    verb = models.CharField(_("verb"), max_length=64)
    target_type = models.CharField(_("target type"), max_length=64)
    target_id = models.CharField(_("target id"), max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField(_("payload"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="outbox_target_idx"),
            # The retry pass reads only what is still pending: a small partial index.
            models.Index(fields=["created_at"], name="outbox_pending_idx", condition=models.Q(dispatched_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type}#{self.target_id}"
