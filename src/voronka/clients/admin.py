from django.contrib import admin

from voronka.clients import models


class ContactInline(admin.TabularInline):
    model = models.Contact
    extra = 0


@admin.register(models.Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "inn", "phone", "email", "status", "rating", "responsible", "created_at")
    list_filter = ("status", "kind", "rating", "region", "industry", "source")
    search_fields = ("name", "inn", "phone", "email")
    raw_id_fields = ("responsible", "campaign")
    list_select_related = ("responsible",)
    inlines = [ContactInline]


@admin.register(models.Contact)
class ContactAdmin(admin.ModelAdmin):
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
class QualificationAnswerAdmin(admin.ModelAdmin):
    list_display = ("client", "question", "answer", "answered_by", "answered_at")
    raw_id_fields = ("client", "question", "answered_by")
    list_select_related = ("client", "question", "answered_by")
