"""Reading the audit trail: one object's history, and the administrators' search.

The audit app sits below accounts and every domain app, so the callers check access: the history of a deal
or client is shown only after its own scoped selector found it, the search only behind the admin-only
settings URLs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from voronka.audit.models import AuditEntry

HISTORY_LIMIT = 200


def history_of(obj: models.Model, *, limit: int = HISTORY_LIMIT) -> list[AuditEntry]:
    """The newest entries about ``obj`` (the caller has checked that the actor may see it), one query."""
    return list(AuditEntry.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
                .select_related("actor").order_by("-at", "-id")[:limit])


@dataclass(frozen=True)
class AuditFilters:
    user_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    field: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def search_audit(*, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """Entries matching the filters, newest first (for administrators: the trail names every client)."""
    query = Q()
    if filters.user_id is not None:
        query &= Q(actor_id=filters.user_id)
    if filters.object_type:
        query &= Q(object_type=filters.object_type)
    if filters.object_id:
        query &= Q(object_id=filters.object_id)
    if filters.action:
        query &= Q(action__startswith=filters.action)
    if filters.field:
        query &= Q(field=filters.field)
    zone = timezone.get_current_timezone()
    if filters.date_from:
        query &= Q(at__gte=dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=zone))
    if filters.date_to:
        query &= Q(at__lt=dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
    return AuditEntry.objects.filter(query).select_related("actor").order_by("-at", "-id")


def object_types() -> list[str]:
    return list(AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct())
