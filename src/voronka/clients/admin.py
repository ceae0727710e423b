"""Clients, contacts and answers are read-only in the admin: their writes need the services' duplicate check,
normalisation, responsible-manager scope, refusal rules and audit (docs/architecture.md, "Django admin")."""

from django.contrib import admin

from voronka.clients import models
from voronka.core.readonly_admin import ReadOnlyAdmin, ReadOnlyTabularInline


class ContactInline(ReadOnlyTabularInline):
    model = models.Contact


@admin.register(models.Client)
class ClientAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "inn", "phone", "email", "status", "rating", "responsible", "created_at")
    list_filter = ("status", "kind", "rating", "region", "industry", "source")
    search_fields = ("name", "inn", "phone", "email")
    raw_id_fields = ("responsible", "campaign")
    list_select_related = ("responsible",)
    inlines = [ContactInline]


@admin.register(models.Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("name", "client", "position", "phone", "email", "is_primary")
    search_fields = ("name", "phone", "email")
    raw_id_fields = ("client",)
    list_select_related = ("client",)


class QuestionInline(admin.TabularInline):
    model = models.Question
    extra = 0


@admin.register(models.QuestionSet)
class QuestionSetAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")
    inlines = [QuestionInline]


@admin.register(models.Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "question_set", "sort_order", "is_active")


@admin.register(models.QualificationAnswer)
class QualificationAnswerAdmin(ReadOnlyAdmin):
    list_display = ("client", "question", "answer", "answered_by", "answered_at")
    raw_id_fields = ("client", "question", "answered_by")
    list_select_related = ("client", "question", "answered_by")
