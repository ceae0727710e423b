from django.urls import path

from voronka.clients import views
from voronka.core.http import writers_only

app_name = "clients"

urlpatterns = [
    path("clients/", views.client_list, name="list"),
    path("clients/<int:client_id>/", views.client_detail, name="detail"),
    path("clients/<int:client_id>/edit/", writers_only(views.client_edit), name="edit"),
    path("clients/<int:client_id>/refuse/", writers_only(views.client_refuse), name="refuse"),
    path("clients/<int:client_id>/archive/", writers_only(views.client_archive), name="archive"),
    path("clients/<int:client_id>/contacts/", writers_only(views.contact_add), name="contact_add"),
    path("clients/<int:client_id>/qualification/", writers_only(views.qualification_save), name="qualification"),
    path("leads/new/", writers_only(views.quick_add), name="quick_add"),
    path("leads/new/check/", writers_only(views.quick_add_check), name="quick_add_check"),
]
