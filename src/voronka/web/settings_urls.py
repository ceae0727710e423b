from django.urls import path

from voronka.web.views import placeholder

app_name = "settings"

urlpatterns = [
    path("", placeholder, name="index"),
]
