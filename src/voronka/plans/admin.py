from django.contrib import admin

from voronka.core.readonly_admin import ReadOnlyAdmin
from voronka.plans.models import SalesPlan


@admin.register(SalesPlan)
class SalesPlanAdmin(ReadOnlyAdmin):
    """Read only: plans are set on the plan grid (``plans.services``: scope checks and audit)."""

    list_display = ("month", "user", "team", "pipeline", "target_amount", "target_count", "updated_by", "updated_at")
    list_filter = ("month", "team", "pipeline")
    list_select_related = ("user", "team", "pipeline", "updated_by")
