from django.urls import path

from voronka.web.views import placeholder

app_name = "clients"

urlpatterns = [
    path("clients/", placeholder, name="list"),
    path("leads/new/", placeholder, name="quick_add"),
]
