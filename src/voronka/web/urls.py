"""URLs of the web UI."""

from django.urls import path

from voronka.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("my-day/", views.my_day, name="my_day"),
]
