from django.urls import path

from voronka.web.views import placeholder

app_name = "activities"

urlpatterns = [
    path("tasks/", placeholder, name="list"),
]
