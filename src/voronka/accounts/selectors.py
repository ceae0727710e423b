"""Reads of users and teams."""

from __future__ import annotations

from django.db.models import QuerySet

from voronka.accounts.models import Role, Scope, Team, User


def assignable_users(*, actor: User) -> QuerySet[User]:
    """Active users the actor may hand records to: everyone (all scope), the team (team scope), self (own)."""
    qs = User.objects.filter(is_active=True).exclude(role=Role.ANALYST).select_related("team")
    if actor.scope == Scope.ALL:
        return qs
    if actor.scope == Scope.TEAM and actor.team_id:
        return qs.filter(team_id=actor.team_id)
    return qs.filter(pk=actor.pk)


def list_teams() -> QuerySet[Team]:
    return Team.objects.select_related("lead").order_by("name")
