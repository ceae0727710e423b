"""Change history: who changed what, when, from what to what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.core.append_only import AppendOnlyModel


class AuditEntry(AppendOnlyModel):
    """One change: inserted by ``events.record_event`` and the sign-in handlers, never changed or deleted."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")  # users are deactivated, not deleted
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    field = models.CharField(_("field"), max_length=64, blank=True, default="")
    old = models.TextField(_("old value"), blank=True, default="")
    new = models.TextField(_("new value"), blank=True, default="")

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"
