from django.urls import path

from voronka.activities import views
from voronka.core.http import writers_only

app_name = "activities"

urlpatterns = [
    path("tasks/", views.task_list, name="list"),
    path("tasks/bulk/", writers_only(views.task_bulk), name="bulk"),
    path("tasks/new/", writers_only(views.create), name="create"),
    path("tasks/<int:task_id>/complete/", writers_only(views.complete), name="complete"),
    path("timeline/add/", writers_only(views.timeline_add), name="timeline_add"),
]
