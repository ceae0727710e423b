from django.contrib import admin

from voronka.pipelines import models


class StageInline(admin.StackedInline):
    model = models.Stage
    extra = 0
    ordering = ("position",)
    readonly_fields = ("position",)  # the order changes through reorder_stages (it keeps deals' furthest stage)


@admin.register(models.Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "sort_order", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [StageInline]


class StageQuestionInline(admin.TabularInline):
    model = models.StageQuestion
    extra = 0
    ordering = ("position",)
    raw_id_fields = ("question",)


@admin.register(models.Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("name", "pipeline", "position", "max_days", "probability", "owner_team", "owner_user")
    list_filter = ("pipeline",)
    list_select_related = ("pipeline", "owner_user")
    readonly_fields = ("position",)  # the order changes through reorder_stages (it keeps deals' furthest stage)
    inlines = [StageQuestionInline]
