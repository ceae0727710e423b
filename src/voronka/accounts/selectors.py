"""Reads of users and teams."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, Scope, Team, User
from voronka.core.errors import NotFound


def assignable_users(*, actor: User) -> QuerySet[User]:
    """Active users the actor may hand records to: everyone (all scope), the team (team scope), self (own)."""
    qs = User.objects.filter(is_active=True, is_system=False).exclude(role=Role.ANALYST).select_related("team")
    if actor.scope == Scope.ALL:
        return qs
    if actor.scope == Scope.TEAM and actor.team_id:
        return qs.filter(team_id=actor.team_id)
    return qs.filter(pk=actor.pk)


def list_teams() -> QuerySet[Team]:
    return Team.objects.select_related("lead").order_by("name")


# --- settings screens -------------------------------------------------------------------------------------

def list_users_for_settings(*, actor: User, show_inactive: bool = True) -> QuerySet[User]:
    qs = User.objects.filter(is_system=False).select_related("team")
    if not show_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "team__name", "last_name", "first_name", "username")


def get_user_for_settings(*, actor: User, user_id) -> User:
    try:
        return User.objects.filter(is_system=False).select_related("team").get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("User not found."), field="user") from exc


def list_teams_for_settings(*, actor: User) -> QuerySet[Team]:
    return (Team.objects.select_related("lead")
            .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
            .order_by("name"))


def get_team(*, actor: User, team_id) -> Team:
    try:
        return Team.objects.select_related("lead").get(pk=team_id)
    except (Team.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("Team not found."), field="team") from exc


def active_users(*, actor: User, include: int | None = None) -> QuerySet[User]:
    """Active users for pickers in the settings (team lead, stage owner), plus ``include`` (the current value)."""
    q = Q(is_active=True) & ~Q(role=Role.ANALYST)
    if include:
        q |= Q(pk=include)
    return User.objects.filter(q, is_system=False).order_by("first_name", "last_name", "username")
