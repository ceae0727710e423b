"""Reads of sales plans, scoped to the reader, and who may set plans for whom.

Reading follows the deal scope (``accounts.permissions``): a manager sees his own plans, a lead the plans of
his team and of its members, a head, an admin and an analyst every plan.
Setting: a lead plans for his team (the one he is in and the ones he leads) and its members; a head or an
admin for everybody; a manager or an analyst for nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, Scope, Team, User
from voronka.core.errors import DomainError
from voronka.pipelines.models import Pipeline

from .models import SalesPlan

PLANNED_ROLES = (Role.MANAGER, Role.LEAD)  # the people a plan is set for (sellers)


def plans_q(actor: User, prefix: str = "") -> Q:
    """The plans ``actor`` may read."""
    if actor.scope == Scope.ALL:
        return Q()
    q = Q(**{f"{prefix}user_id": actor.pk}) if actor.pk else Q(pk__in=[])
    if actor.scope == Scope.TEAM and actor.team_id:
        q |= Q(**{f"{prefix}user__team_id": actor.team_id}) | Q(**{f"{prefix}team_id": actor.team_id})
    return q


def visible_plans(*, actor: User, using: str | None = None) -> QuerySet[SalesPlan]:
    qs = SalesPlan.objects.all() if using is None else SalesPlan.objects.using(using)
    return qs.filter(plans_q(actor))


def planning_team_ids(actor: User) -> set[int] | None:
    """The teams whose plans (and whose members' plans) ``actor`` may set: ``None`` = all, empty = none."""
    if actor.is_superuser or actor.role in (Role.HEAD, Role.ADMIN):
        return None
    if actor.role == Role.LEAD and actor.pk:
        ids = set(Team.objects.filter(lead_id=actor.pk).values_list("pk", flat=True))
        if actor.team_id:
            ids.add(actor.team_id)
        return ids
    return set()


def can_plan(actor: User) -> bool:
    if actor is None or (not actor.is_active and not getattr(actor, "is_system", False)):
        return False
    teams = planning_team_ids(actor)
    return teams is None or bool(teams)


def may_plan_for(actor: User, *, user: User | None = None, team: Team | None = None) -> bool:
    teams = planning_team_ids(actor)
    if teams is None:
        return True
    if team is not None:
        return team.pk in teams
    return user is not None and user.team_id in teams


def plan_subjects(*, actor: User) -> tuple[list[Team], list[User]]:
    """The teams and the sellers the actor may set plans for (the rows of the plan grid)."""
    teams_ids = planning_team_ids(actor)
    teams = Team.objects.order_by("name", "pk")
    users = (User.objects.filter(is_active=True, is_system=False, role__in=PLANNED_ROLES)
             .select_related("team").order_by("team__name", "first_name", "last_name", "username", "pk"))
    if teams_ids is not None:
        teams = teams.filter(pk__in=teams_ids)
        users = users.filter(team_id__in=teams_ids)
    return list(teams), list(users)


def month_plans(*, actor: User, month: dt.date, pipeline: Pipeline | None) -> dict[tuple[str, int], SalesPlan]:
    """The plans of one month and pipeline (``None``: the plans for every pipeline) the actor may read,
    keyed ``("u", user_id)`` or ``("t", team_id)``."""
    qs = visible_plans(actor=actor).filter(month=month)
    qs = qs.filter(pipeline__isnull=True) if pipeline is None else qs.filter(pipeline=pipeline)
    out: dict[tuple[str, int], SalesPlan] = {}
    for plan in qs:
        out[("u", plan.user_id) if plan.user_id else ("t", plan.team_id)] = plan
    return out


def parse_month(value: Any, *, field: str = "month") -> dt.date:
    """``YYYY-MM`` (or a date within the month) as the month's first day; a field error otherwise."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    try:
        if len(text) == 7:
            text = f"{text}-01"
        day = dt.date.fromisoformat(text).replace(day=1)
    except ValueError as exc:
        raise DomainError(_("“%(value)s” is not a month (YYYY-MM).") % {"value": text[:20]}, field=field) from exc
    if not 2000 <= day.year <= 2999:
        raise DomainError(_("“%(value)s” is not a month (YYYY-MM).") % {"value": text[:20]}, field=field)
    return day
