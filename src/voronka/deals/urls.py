from django.urls import path

from voronka.web.views import placeholder

app_name = "deals"

urlpatterns = [
    path("board/", placeholder, name="board_default"),
    path("deals/", placeholder, name="list"),
]
