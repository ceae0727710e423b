"""Read-only Django admin classes for records that only services may write.

The admin edits rows directly: no transition, no required-field check, no audit, no scope. For deals, their
lines, tasks, the timeline, the stage log, the audit trail and clients it stays a place to read (lists,
filters, search, the record's page), and every write goes through the screens that call the services.
"""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyMixin:
    """No add, change or delete; the view permission still opens lists and record pages."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    actions = None


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
