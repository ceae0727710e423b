from django.urls import path

from voronka.activities import views
from voronka.web.views import tasks_redirect

app_name = "activities"

urlpatterns = [
    path("tasks/", tasks_redirect, name="list"),
    path("tasks/new/", views.create, name="create"),
    path("tasks/<int:task_id>/complete/", views.complete, name="complete"),
    path("timeline/add/", views.timeline_add, name="timeline_add"),
]
