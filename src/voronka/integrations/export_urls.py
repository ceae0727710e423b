"""Exports: ``/export/<deals|clients|tasks>.<csv|xlsx>`` with the list's query, and the timelines."""

from django.urls import path

from voronka.integrations import export_views

app_name = "exports"

urlpatterns = [
    path("<slug:kind>.<slug:fmt>", export_views.list_export, name="list"),
    path("deals/<int:deal_id>/timeline.<slug:fmt>", export_views.deal_timeline_export, name="deal_timeline"),
    path("clients/<int:client_id>/timeline.<slug:fmt>", export_views.client_timeline_export,
         name="client_timeline"),
]
