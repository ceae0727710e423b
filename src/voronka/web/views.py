"""Views of the shell: sign-in, password, language, home (thin: parse, call a service, render)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.services import set_user_language
from voronka.core.errors import DomainError


def home(request):
    return redirect("web:my_day")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:my_day")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


@require_POST
def set_language(request):
    """Switch the UI language: stored on the user, or in a cookie before sign-in."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if language not in ("ru", "en"):
        return response
    if request.user.is_authenticated:
        try:
            set_user_language(actor=request.user, language=language)
        except DomainError:
            return response
    translation.activate(language)
    from django.conf import settings

    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


@login_required
def placeholder(request, **kwargs):
    return render(request, "web/placeholder.html", {})
