from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Sales"), {"fields": ("role", "team", "language", "phone")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Sales"), {"fields": ("role", "team")}))

    def get_queryset(self, request):
        """The system actor is not a person to manage (it must stay inactive)."""
        return super().get_queryset(request).filter(is_system=False)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead")
    raw_id_fields = ("lead",)
