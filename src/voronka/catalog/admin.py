from django.contrib import admin

from voronka.catalog import models


@admin.register(models.Source, models.Channel, models.Region, models.Industry, models.TargetAudience,
                models.LostReason)
class DictionaryAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "sort_order")
    list_editable = ("is_active", "sort_order")
    search_fields = ("name",)


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "sku", "price", "currency", "is_active")
    search_fields = ("name", "sku")


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "source", "channel", "cost", "starts_on", "ends_on", "is_active")
    list_filter = ("source", "channel")


@admin.register(models.CustomFieldDefinition)
class CustomFieldDefinitionAdmin(admin.ModelAdmin):
    list_display = ("label", "entity", "key", "field_type", "is_active", "sort_order")
    list_filter = ("entity", "field_type")
