"""Views of the shell: sign-in, password, language, home, My day and the global search (thin: parse, call a
service or selector, render)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from voronka.accounts.forms import SignInForm
from voronka.accounts.models import Scope
from voronka.accounts.selectors import assignable_users
from voronka.accounts.services import end_sessions, set_user_language
from voronka.activities.selectors import my_day as my_day_selector
from voronka.audit.services import record_sign_in_event
from voronka.clients.services import disclose_matches
from voronka.core.errors import DomainError
from voronka.core.http import client_ip
from voronka.core.params import parse_id
from voronka.core.ratelimit import count_hit
from voronka.core.urls import is_safe_path, safe_next
from voronka.deals.selectors import SEARCH_MIN_LENGTH, global_search


def home(request):
    """The home page is the dashboard of the user's role (analytics); My day is one click away in the nav."""
    return redirect("analytics:dashboard")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    form_class = SignInForm

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.otp_device is not None:
            otp_login(self.request, form.otp_device)  # this session passed the second factor
        return response

    def get_redirect_url(self):
        url = super().get_redirect_url()
        return url if is_safe_path(url, request=self.request) else ""


class LogoutView(auth_views.LogoutView):
    def get_redirect_url(self):
        url = super().get_redirect_url()
        return url if is_safe_path(url, request=self.request) else ""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:my_day")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """"Forgot your password?": a link by email to the active user with that address.

    The answer is the same whether or not the address is known (nothing to enumerate), and requests are
    limited per IP address and hour (``VORONKA_PASSWORD_RESETS_PER_HOUR``); each one is audited.
    """

    template_name = "web/password_reset.html"
    email_template_name = "web/password_reset_email.txt"
    subject_template_name = "web/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")

    def form_valid(self, form):
        ip = client_ip(self.request)
        limit = settings.VORONKA_PASSWORD_RESETS_PER_HOUR
        if limit > 0 and count_hit(f"password-reset:{ip}", window_seconds=3600)[0] > limit:
            form.add_error(None, _("Too many reset requests from your address. Try again in an hour."))
            return self.form_invalid(form)
        record_sign_in_event(action="auth.password_reset_requested", username=form.cleaned_data["email"][:64], ip=ip)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the email: a new password (the validators apply); every session of the user ends."""

    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        end_sessions(actor=user, user=user)
        record_sign_in_event(action="auth.password_reset_done", user=user, ip=client_ip(self.request))
        messages.success(self.request, _("Your password has been set. Sign in with it."))
        return response


@require_POST
def set_language(request):
    """Switch the UI language: stored on the user, or in a cookie before sign-in."""
    language = request.POST.get("language", "")
    next_url = safe_next(request, "/")
    response = redirect(next_url)
    if language not in ("ru", "en"):
        return response
    if request.user.is_authenticated:
        try:
            set_user_language(actor=request.user, language=language)
        except DomainError:
            return response
    translation.activate(language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


# --- My day: the manager's daily screen ---------------------------------------------------------------



@login_required
def my_day(request):
    """Overdue / today / upcoming open tasks: own for a manager; a lead's team or everyone for a head/admin,
    optionally one person (``?assignee=<user id>``, ignored when not among the people the actor oversees)."""
    actor = request.user
    people = [] if actor.scope == Scope.OWN else list(assignable_users(actor=actor))
    assignee = parse_id(request.GET.get("assignee"))
    if assignee not in {u.pk for u in people}:
        assignee = None
    day = my_day_selector(actor=actor, assignee=assignee)
    context = {
        "nav": "my_day", "day": day, "today": timezone.localdate(), "people": people, "assignee": assignee,
        "show_assignee": bool(people) and assignee is None,
        "total": day.counts["overdue"] + day.counts["today"] + day.counts["upcoming"],
    }
    if request.htmx and request.htmx.target == "my-day-list":
        return render(request, "web/_my_day_list.html", context)
    return render(request, "web/my_day.html", context)


# --- Global search ------------------------------------------------------------------------------------

@login_required
def search(request):
    """Clients, contacts and deals the user may see; exact phone/email/INN matches outside the scope are
    named (without a link) so nobody creates a duplicate of a colleague's client."""
    text = request.GET.get("q", "")
    results = global_search(actor=request.user, text=text)
    results.elsewhere, withheld = disclose_matches(actor=request.user, clients=results.elsewhere, via="search")
    context = {"results": results, "withheld": withheld, "q": results.text, "min_length": SEARCH_MIN_LENGTH,
               "too_short": 0 < len(results.text) < SEARCH_MIN_LENGTH}
    if request.htmx and request.htmx.target == "search-dropdown":
        return render(request, "web/_search_dropdown.html", context)
    return render(request, "web/search.html", context)


@login_required
def two_factor(request):
    """Turn two-factor sign-in on (scan the QR code, confirm a code) or off (with a current code)."""
    from voronka.accounts.two_factor import (
        TOKEN_FIELD,
        confirm_device,
        disable_two_factor,
        has_two_factor,
        pending_device,
        qr_svg,
        required_for,
    )

    enabled, error, status = has_two_factor(request.user), "", 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "disable" and enabled:
                disable_two_factor(actor=request.user, token=request.POST.get(TOKEN_FIELD))
                messages.success(request, _("Two-factor sign-in is off."))
            elif not enabled:
                device = confirm_device(actor=request.user, device=pending_device(request.user),
                                        token=request.POST.get(TOKEN_FIELD))
                otp_login(request, device)
                messages.success(request, _("Two-factor sign-in is on: sign-in will ask for a code from the app."))
            return redirect("web:two_factor")
        except DomainError as exc:
            error, status = exc.message, 400
    context = {"enabled": enabled, "required": required_for(request.user), "error": error}
    if not enabled:
        device = pending_device(request.user)
        context.update(qr=qr_svg(device), secret=_base32(device.bin_key))
    return render(request, "web/two_factor.html", context, status=status)


def _base32(key: bytes) -> str:
    import base64

    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))
