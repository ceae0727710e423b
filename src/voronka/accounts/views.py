"""Settings: users and teams (thin views over accounts.services)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.accounts.forms import (
    DeactivateForm,
    PasswordResetForm,
    PipelineAccessForm,
    TeamForm,
    UserCreateForm,
    UserEditForm,
)
from voronka.accounts.models import Role, Scope, TokenScope
from voronka.accounts.selectors import (
    active_users,
    assignable_users,
    get_api_token,
    get_session_entry,
    get_team,
    get_user_for_settings,
    list_api_tokens,
    list_sessions,
    list_teams,
    list_teams_for_settings,
    list_users_for_settings,
    role_scope_grid,
)
from voronka.accounts.services import (
    create_api_token,
    create_team,
    create_user,
    end_session,
    end_sessions,
    open_work_of,
    reset_user_password,
    revoke_api_token,
    set_role_scopes,
    update_team,
    update_user,
)
from voronka.accounts.two_factor import required_roles, set_two_factor_roles
from voronka.core.errors import DomainError
from voronka.core.forms import apply_domain_error
from voronka.core.http import get_or_404
from voronka.deals.services import deactivate_user
from voronka.pipelines.selectors import list_pipelines, pipeline_access_of
from voronka.pipelines.services import set_pipeline_access
from voronka.web.settings_ui import done, form_response

# --- users ------------------------------------------------------------------------------------------------

@require_GET
def user_list(request):
    show_inactive = request.GET.get("inactive") == "1"
    users = list_users_for_settings(actor=request.user, show_inactive=show_inactive)
    return render(request, "accounts/user_list.html", {"nav": "settings", "section": "users", "users": users,
                                                       "show_inactive": show_inactive})


@require_http_methods(["GET", "POST"])
def user_create(request):
    teams = list_teams()
    if request.method == "POST":
        form = UserCreateForm(request.POST, teams=teams)
        if form.is_valid():
            try:
                user = create_user(actor=request.user, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:users"),
                            _("User “%(name)s” created. Give them the password.") % {"name": user})
    else:
        form = UserCreateForm(teams=teams)
    return form_response(request, form=form, title=_("New user"), action=reverse("settings:user_create"),
                         cancel_url=reverse("settings:users"), section="users",
                         status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    user = get_or_404(get_user_for_settings, actor=request.user, user_id=pk)
    teams = list_teams()
    if request.method == "POST":
        form = UserEditForm(request.POST, user=user, teams=teams)
        if form.is_valid():
            try:
                update_user(actor=request.user, user=user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:users"), _("User “%(name)s” saved.") % {"name": user})
    else:
        form = UserEditForm(user=user, teams=teams)
    return form_response(request, form=form, title=_("User %(username)s") % {"username": user.username},
                         action=reverse("settings:user", args=[user.pk]), cancel_url=reverse("settings:users"),
                         section="users", extra_template="accounts/_user_links.html", extra={"subject": user},
                         status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def user_deactivate(request, pk):
    """Deactivate a user and hand his open deals, tasks and clients over: a preview, then one step."""
    user = get_or_404(get_user_for_settings, actor=request.user, user_id=pk)
    users = assignable_users(actor=request.user).exclude(pk=user.pk)
    if request.method == "POST":
        form = DeactivateForm(request.POST, users=users)
        if form.is_valid():
            try:
                moved = deactivate_user(actor=request.user, user=user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:users"),
                            _("“%(name)s” deactivated: %(deals)s deals, %(tasks)s tasks and %(clients)s clients "
                              "handed over; sessions ended, API tokens revoked.") % {"name": user, **moved})
    else:
        form = DeactivateForm(users=users)
    return form_response(request, form=form, title=_("Deactivate %(username)s") % {"username": user.username},
                         action=reverse("settings:user_deactivate", args=[user.pk]),
                         cancel_url=reverse("settings:user", args=[user.pk]), section="users",
                         submit_label=_("Deactivate and hand over"), extra_template="accounts/_handover.html",
                         extra={"subject": user, "work": open_work_of(user)},
                         status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def user_pipelines(request, pk):
    """Limit a user to some pipelines (a renewal manager works in Renewal only)."""
    user = get_or_404(get_user_for_settings, actor=request.user, user_id=pk)
    pipelines = list_pipelines(active_only=False).prefetch_related(None).order_by("sort_order", "name")
    if request.method == "POST":
        form = PipelineAccessForm(request.POST, pipelines=pipelines)
        if form.is_valid():
            try:
                set_pipeline_access(actor=request.user, user=user, pipelines=list(form.cleaned_data["pipelines"]))
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:user", args=[user.pk]),
                            _("Pipeline access of “%(name)s” saved.") % {"name": user})
    else:
        form = PipelineAccessForm(pipelines=pipelines, initial={"pipelines": pipeline_access_of(user=user)})
    return form_response(request, form=form, title=_("Pipelines of %(username)s") % {"username": user.username},
                         action=reverse("settings:user_pipelines", args=[user.pk]),
                         cancel_url=reverse("settings:user", args=[user.pk]), section="users",
                         status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def user_password(request, pk):
    user = get_or_404(get_user_for_settings, actor=request.user, user_id=pk)
    if request.method == "POST":
        form = PasswordResetForm(request.POST)
        if form.is_valid():
            try:
                reset_user_password(actor=request.user, user=user, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:users"),
                            _("New password set for “%(name)s”.") % {"name": user})
    else:
        form = PasswordResetForm()
    return form_response(request, form=form, title=_("New password for %(username)s") % {"username": user.username},
                         action=reverse("settings:user_password", args=[user.pk]),
                         cancel_url=reverse("settings:users"), section="users", submit_label=_("Set password"),
                         status=400 if form.is_bound else 200)


# --- access --------------------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def access(request):
    """Which records each role sees, per object type: own, the team's or all (the defaults until changed)."""
    error = None
    if request.method == "POST" and request.POST.get("form") == "two_factor":
        try:
            set_two_factor_roles(actor=request.user, roles=request.POST.getlist("two_factor_roles"))
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Two-factor requirement saved."))
            return redirect("settings:access")
    elif request.method == "POST":
        scopes = {(row["role"], cell["object_type"]): request.POST.get(f'{row["role"]}-{cell["object_type"]}', "")
                  for row in role_scope_grid() for cell in row["cells"]}
        try:
            changed = set_role_scopes(actor=request.user, scopes=scopes)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, ngettext("%(n)s scope changed.", "%(n)s scopes changed.", changed) % {"n": changed})
            return redirect("settings:access")
    return render(request, "accounts/access.html", {
        "nav": "settings", "section": "access", "grid": role_scope_grid(), "scopes": Scope.choices, "error": error,
        "roles": Role.choices, "two_factor_roles": required_roles(),
        "from_environment": set(settings.VORONKA_2FA_REQUIRED_ROLES),
    }, status=400 if error else 200)


# --- teams ------------------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def team_list(request):
    """The teams with lead and member count, and the form that adds a team."""
    users = active_users(actor=request.user)
    status = 200
    if request.method == "POST":
        form = TeamForm(request.POST, users=users, prefix="new")
        if form.is_valid():
            try:
                team = create_team(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:teams"), _("Team “%(name)s” created.") % {"name": team})
        status = 400
    else:
        form = TeamForm(users=users, prefix="new")
    context = {"nav": "settings", "section": "teams", "teams": list_teams_for_settings(actor=request.user),
               "form": form}
    return render(request, "accounts/team_list.html", context, status=status)


@require_http_methods(["GET", "POST"])
def team_edit(request, pk):
    team = get_or_404(get_team, actor=request.user, team_id=pk)
    users = active_users(actor=request.user, include=team.lead_id)
    if request.method == "POST":
        form = TeamForm(request.POST, users=users, team=team)
        if form.is_valid():
            try:
                update_team(actor=request.user, team=team, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return done(request, reverse("settings:teams"), _("Team “%(name)s” saved.") % {"name": team})
    else:
        form = TeamForm(users=users, team=team)
    return form_response(request, form=form, title=_("Team “%(name)s”") % {"name": team.name},
                         action=reverse("settings:team", args=[team.pk]), cancel_url=reverse("settings:teams"),
                         section="teams", status=400 if form.is_bound else 200)


# --- personal API tokens (the user's own page, from the user menu) ------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """List the user's tokens; a POST creates one and shows its plain text once, on this answer only."""
    created = None
    error = None
    if request.method == "POST":
        try:
            token, raw = create_api_token(actor=request.user, name=request.POST.get("name", ""),
                                          scope=request.POST.get("scope", "read"))
        except DomainError as exc:
            error = exc
        else:
            created = {"token": token, "raw": raw}
    context = {"tokens": list_api_tokens(actor=request.user), "created": created, "error": error,
               "scopes": TokenScope.choices, "posted": request.POST if error else {}}
    response = render(request, "accounts/api_tokens.html", context, status=400 if error else 200)
    response["Cache-Control"] = "no-store"  # the page may carry a plain token
    return response


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = get_or_404(get_api_token, actor=request.user, token_id=pk)
    revoke_api_token(actor=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:api_tokens")


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request):
    """The browsers the user is signed in with; a POST signs out all the others."""
    if request.method == "POST":
        count = end_sessions(actor=request.user, user=request.user, keep_session_key=request.session.session_key)
        messages.success(request, ngettext("Signed out of %(n)s other browser.", "Signed out of %(n)s other browsers.",
                                           count) % {"n": count})
        return redirect("accounts:sessions")
    return render(request, "accounts/sessions.html", {"sessions": list_sessions(actor=request.user),
                                                      "current": request.session.session_key})


@login_required
@require_POST
def session_end(request, pk: int):
    entry = get_or_404(get_session_entry, actor=request.user, entry_id=pk)
    current = entry.session_id == request.session.session_key
    end_session(actor=request.user, entry=entry)
    if current:
        return redirect("web:login")
    messages.success(request, _("That browser is signed out."))
    return redirect("accounts:sessions")
