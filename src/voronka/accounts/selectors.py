"""Reads of users and teams."""

from __future__ import annotations

import hmac

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from voronka.accounts.models import (
    CONFIGURABLE_ROLES,
    POOL_ROLES,
    ROLE_SCOPES,
    ApiToken,
    ObjectType,
    Role,
    RoleScope,
    Scope,
    Team,
    User,
    UserSession,
)
from voronka.core.errors import NotFound
from voronka.core.params import parse_id


def assignable_users(*, actor: User) -> QuerySet[User]:
    """Active users the actor may hand records to: everyone (all scope), the team (team scope), self (own)."""
    qs = User.objects.filter(is_active=True, is_system=False).exclude(role=Role.ANALYST).select_related("team")
    if actor.scope == Scope.ALL:
        return qs
    if actor.scope == Scope.TEAM and actor.team_id:
        return qs.filter(team_id=actor.team_id)
    return qs.filter(pk=actor.pk)


def pool_members(*, team_id: int | None = None, role: str | None = None) -> QuerySet[User]:
    """Who may be given a deal or a lead from a pool: active people (never the system actor) with a
    manager-like role (``POOL_ROLES``: managers and leads), or with ``role``; of ``team_id`` when given."""
    qs = User.objects.filter(is_active=True, is_system=False)
    qs = qs.filter(role=role) if role else qs.filter(role__in=POOL_ROLES)
    return qs.filter(team_id=team_id) if team_id is not None else qs


def open_deal_counts(user_ids: list[int]) -> dict[int, int]:
    """Open deals owned by each of these users (``deals`` sits above accounts: through the reverse relation)."""
    rows = (User.objects.filter(pk__in=user_ids)
            .annotate(open_deals=Count("deals", filter=Q(deals__status="open"))).values_list("pk", "open_deals"))
    return dict(rows)


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


# --- API tokens and the API's reads of people ---------------------------------------------------------------

def list_api_tokens(*, actor: User) -> QuerySet[ApiToken]:
    """The actor's own tokens, newest first (active and revoked)."""
    return ApiToken.objects.filter(user=actor).order_by("revoked_at", "-created_at", "-id")


def list_sessions(*, actor: User) -> list[UserSession]:
    """The browsers the actor is signed in with, last seen first."""
    return list(UserSession.objects.filter(user=actor).order_by("-last_seen_at", "-id"))


def get_session_entry(*, actor: User, entry_id) -> UserSession:
    """One of the actor's sessions (another user's is not found)."""
    pk = parse_id(entry_id)
    entry = UserSession.objects.filter(user=actor, pk=pk).first() if pk else None
    if entry is None:
        raise NotFound(_("Not found: %(field)s.") % {"field": "session"}, field="session")
    return entry


def get_api_token(*, actor: User, token_id) -> ApiToken:
    """One of the actor's tokens (another user's is not found)."""
    pk = parse_id(token_id)
    token = ApiToken.objects.filter(user=actor, pk=pk).first() if pk else None
    if token is None:
        raise NotFound(_("Token not found."), field="token")
    return token


def find_api_token(raw: str) -> ApiToken | None:
    """The active token whose plain text is ``raw`` with an active, non-system user, or None."""
    if not isinstance(raw, str) or not raw.startswith("vrk_") or len(raw) > 200:
        return None
    prefix, sep, _secret = raw[4:].partition("_")
    if not sep or not prefix or len(prefix) > 16:
        return None
    token = (ApiToken.objects.select_related("user", "user__team")
             .filter(prefix=prefix, revoked_at__isnull=True).first())
    if token is None or not hmac.compare_digest(token.secret_hash, ApiToken.hash_secret(raw)):
        return None
    if not token.user.is_active or token.user.is_system:
        return None
    return token


def visible_users(*, actor: User) -> QuerySet[User]:
    """People for the API's user list: everyone but the system actor (names, roles and teams are not secret)."""
    return User.objects.filter(is_system=False).select_related("team")


def role_scope_grid() -> list[dict]:
    """Each configurable role with its scope per object type (configured, else the role's default)."""
    configured = {(r.role, r.object_type): r.scope for r in RoleScope.objects.all()}
    return [{"role": role, "label": Role(role).label,
             "cells": [{"object_type": t.value, "label": t.label, "default": ROLE_SCOPES[role],
                        "scope": configured.get((role, t.value), ROLE_SCOPES[role])} for t in ObjectType]}
            for role in CONFIGURABLE_ROLES]
