from django.urls import path

from voronka.audit import views

app_name = "audit"

urlpatterns = [
    path("deals/<int:deal_id>/changes/", views.deal_changes, name="deal_changes"),
    path("clients/<int:client_id>/changes/", views.client_changes, name="client_changes"),
]
