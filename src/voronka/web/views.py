"""Views of the web UI (thin: parse input, call a service or selector, render)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


def home(request):
    return redirect("web:my_day")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def my_day(request):
    return render(request, "web/my_day.html", {})
