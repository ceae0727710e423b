from django.contrib import admin

from voronka.core.readonly_admin import ReadOnlyAdmin
from voronka.imports.models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    """Read-only: batches are written by the import service (Settings › Import, ``voronka import``)."""

    list_display = ("id", "kind", "file_name", "status", "rows_total", "created_by", "created_at", "seconds")
    list_filter = ("kind", "status")
    list_select_related = ("created_by",)
    search_fields = ("file_name",)
