"""Import batches and the rows each one created.

The created objects are tagged through ``ImportedRow`` (batch, content type, object id), not through an
``import_batch`` column on every model: the apps below (accounts, catalog, clients, deals, activities) stay
free of a reference to this app, which sits above them in the layer order, and no domain table gets a
migration or an index for a field only the import reads.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    USERS = "users", _("Users and teams")
    PRODUCTS = "products", _("Products")
    CLIENTS = "clients", _("Clients")
    DEALS = "deals", _("Deals with history")
    CONTACTS = "contacts", _("Contacts of clients")
    PLANS = "plans", _("Sales plans")


class BatchStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DRY_RUN = "dry_run", _("Dry run")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class ImportBatch(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.RUNNING)
    dry_run = models.BooleanField(_("dry run"), default=False)
    rows_total = models.PositiveIntegerField(_("rows read"), default=0)
    upload = models.CharField(_("uploaded file"), max_length=64, blank=True, default="",
                              help_text=_("The token of the uploaded file a queued batch reads (UI imports)."))
    queued = models.BooleanField(_("run by the worker"), default=False)
    counts = models.JSONField(_("counts"), default=dict, blank=True,
                              help_text=_("Objects created, updated and skipped, per type."))
    report = models.JSONField(_("report"), default=dict, blank=True,
                              help_text=_("Dictionaries created, value maps applied, warnings."))
    errors = models.JSONField(_("errors"), default=list, blank=True,
                              help_text=_("Row-level errors: row, column, value, message."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    seconds = models.FloatField(_("duration, s"), default=0)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=[k.value for k in ImportKind]),
                                   name="importbatch_kind_valid"),
            models.CheckConstraint(condition=models.Q(status__in=[s.value for s in BatchStatus]),
                                   name="importbatch_status_valid"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.file_name}"


class ImportedRow(models.Model):
    """One object a batch created (undo deletes exactly these)."""

    batch = models.ForeignKey(ImportBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="rows")
    content_type = models.ForeignKey(ContentType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(_("object id"))

    class Meta:
        verbose_name = _("imported object")
        verbose_name_plural = _("imported objects")
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id"], name="importedrow_object_unique")]
        indexes = [models.Index(fields=["batch", "content_type"], name="importedrow_batch_type_idx")]

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.content_type_id}#{self.object_id}"
