"""URLs of the shell (sign-in, language, search, My day, the user guide)."""

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from voronka.web import guide, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("account/two-factor/", views.two_factor, name="two_factor"),
    path("language/", views.set_language, name="language"),
    path("search/", views.search, name="search"),
    path("my-day/", views.my_day, name="my_day"),
    path("favicon.ico", RedirectView.as_view(url=static("voronka/favicon.svg"), permanent=True), name="favicon"),
    path("help/", guide.help_index, name="help"),
    path("help/<slug:slug>/", guide.help_section, name="help_section"),
]
