from django.urls import path

from voronka.activities import views
from voronka.core.http import writers_only
from voronka.web.views import tasks_redirect

app_name = "activities"

urlpatterns = [
    path("tasks/", tasks_redirect, name="list"),
    path("tasks/new/", writers_only(views.create), name="create"),
    path("tasks/<int:task_id>/complete/", writers_only(views.complete), name="complete"),
    path("timeline/add/", writers_only(views.timeline_add), name="timeline_add"),
]
