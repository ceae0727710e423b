from django.urls import path

from voronka.clients import views

app_name = "clients"

urlpatterns = [
    path("clients/", views.client_list, name="list"),
    path("clients/<int:client_id>/", views.client_detail, name="detail"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="edit"),
    path("clients/<int:client_id>/refuse/", views.client_refuse, name="refuse"),
    path("clients/<int:client_id>/contacts/", views.contact_add, name="contact_add"),
    path("clients/<int:client_id>/qualification/", views.qualification_save, name="qualification"),
    path("leads/new/", views.quick_add, name="quick_add"),
]
