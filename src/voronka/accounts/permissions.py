"""One place for visibility (``scope_q``) and write permission (``require_perm``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, Scope
from voronka.core.errors import Forbidden

if TYPE_CHECKING:
    from voronka.accounts.models import User

# The field that names the person a record belongs to, per model label.
OWNER_FIELDS: dict[str, tuple[str, ...]] = {
    "deals.Deal": ("owner",),
    "clients.Client": ("responsible",),
    "activities.Task": ("assignee", "deal__owner"),
}

CONFIG_PERMS = {"configure"}


def scope_q(actor: User, model_label: str) -> Q:
    """A filter that keeps only the rows of ``model_label`` the actor may see."""
    fields = OWNER_FIELDS[model_label]
    scope = actor.scope
    if scope == Scope.ALL:
        return Q()
    q = Q()
    if scope == Scope.TEAM and actor.team_id:
        for field in fields:
            q |= Q(**{f"{field}__team_id": actor.team_id})
    for field in fields:
        q |= Q(**{f"{field}_id": actor.pk}) if "__" not in field else Q(**{field: actor.pk})
    return q


def can_see(actor: User, model_label: str, owner_ids: list[int | None], owner_team_ids: list[int | None]) -> bool:
    scope = actor.scope
    if scope == Scope.ALL:
        return True
    if actor.pk in owner_ids:
        return True
    return scope == Scope.TEAM and actor.team_id is not None and actor.team_id in owner_team_ids


def _owners(obj) -> tuple[list[int | None], list[int | None]]:
    label = obj._meta.label
    ids: list[int | None] = []
    teams: list[int | None] = []
    for field in OWNER_FIELDS.get(label, ()):
        target = obj
        for part in field.split("__"):
            target = getattr(target, part, None) if target is not None else None
        if target is not None:
            ids.append(target.pk)
            teams.append(target.team_id)
    return ids, teams


def require_perm(actor: User, perm: str, obj=None) -> None:
    """Raise ``Forbidden`` unless the actor may perform ``perm`` (on ``obj``).

    ``perm`` is ``view``, ``change`` or ``configure``. Analysts only read; configuration is
    for admins; changes to a record need it to be within the actor's scope.
    """
    if actor is None or not actor.is_active:
        raise Forbidden(_("You must be signed in."))
    if actor.is_superuser:
        return
    if perm in CONFIG_PERMS:
        if actor.role != Role.ADMIN:
            raise Forbidden(_("Only administrators may change settings."))
        return
    if perm != "view" and actor.role == Role.ANALYST:
        raise Forbidden(_("Analysts have read-only access."))
    if obj is not None and obj._meta.label in OWNER_FIELDS:
        ids, teams = _owners(obj)
        if not ids or not can_see(actor, obj._meta.label, ids, teams):
            raise Forbidden(_("This record is outside your scope."))


def require_assignable(actor: User, user: User | None, *, field: str = "owner") -> None:
    """Records may be handed only to people within the actor's scope (a manager: himself)."""
    if user is None or actor.is_superuser or actor.scope == Scope.ALL or user.pk == actor.pk:
        return
    if actor.scope == Scope.TEAM and actor.team_id is not None and user.team_id == actor.team_id:
        return
    raise Forbidden(_("You cannot assign records to %(user)s.") % {"user": user}, field=field)
