"""One place for visibility (``scope_q``, ``is_visible``) and write permission (``require_perm``).

Services call the ``require_*`` helpers on every object they are given (a client, a contact, an assignee,
an owner, a deal): the API, imports and automation call services directly, so nothing is trusted.

Visibility by scope (``own`` / ``team`` / ``all``, from the role):
- a deal: its owner (or the owner's team);
- a task: its assignee or the owner of its deal (or their teams);
- a client: its responsible manager, or the owner of one of its *open* deals (or their teams), so that a
  stage owner who takes a deal in a conveyor hand-off can open its client; the previous owner, with no open
  deal of that client left and not responsible, no longer sees it;
- a contact: as its client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from voronka.accounts.models import MODEL_OBJECT_TYPES, ObjectType, Role, Scope
from voronka.core.errors import DomainError, Forbidden, NotFound

if TYPE_CHECKING:
    from voronka.accounts.models import User

# The fields that name the people a record belongs to, per model label.
OWNER_FIELDS: dict[str, tuple[str, ...]] = {
    "deals.Deal": ("owner",),
    "clients.Client": ("responsible",),
    "activities.Task": ("assignee", "deal__owner"),
}
# Models whose visibility is their client's (the path from the model to the client).
VIA_CLIENT: dict[str, str] = {"clients.Contact": "client"}

CONFIG_PERMS = {"configure"}


def scope_of(actor: User, model_label: str) -> str:
    """The actor's scope for the records of ``model_label`` (Settings › Access, per object type)."""
    return actor.scope_for(MODEL_OBJECT_TYPES.get(model_label, ObjectType.DEALS))


def _people_q(actor: User, fields: tuple[str, ...], prefix: str = "", *, scope: str) -> Q:
    q = Q()
    if scope == Scope.TEAM and actor.team_id:
        for field in fields:
            q |= Q(**{f"{prefix}{field}__team_id": actor.team_id})
    for field in fields:
        q |= Q(**{f"{prefix}{field}_id": actor.pk}) if "__" not in field else Q(**{f"{prefix}{field}": actor.pk})
    return q


def _open_deals_of_actor(actor: User, scope: str):
    """Open deals owned by the actor (team scope: by anyone of his team), for client visibility."""
    # accounts sits below deals (docs/architecture.md): the model is named through the app registry.
    deals = apps.get_model("deals", "Deal").objects.filter(status="open")
    if scope == Scope.TEAM and actor.team_id:
        return deals.filter(Q(owner_id=actor.pk) | Q(owner__team_id=actor.team_id))
    return deals.filter(owner_id=actor.pk)


def _client_q(actor: User, prefix: str = "", *, scope: str) -> Q:
    pk = f"{prefix}id" if prefix else "pk"
    return _people_q(actor, OWNER_FIELDS["clients.Client"], prefix, scope=scope) | Q(
        Exists(_open_deals_of_actor(actor, scope).filter(client_id=OuterRef(pk))))


def allowed_pipeline_ids(actor: User) -> frozenset[int] | None:
    """The pipelines the actor is limited to, or ``None`` for every pipeline (read once per user object)."""
    if actor is None or actor.is_superuser or getattr(actor, "is_system", False) or actor.pk is None:
        return None
    cached = getattr(actor, "_allowed_pipelines", False)
    if cached is False:
        # accounts sits below pipelines (docs/architecture.md): the model is named through the app registry.
        ids = apps.get_model("pipelines", "PipelineAccess").objects.filter(user_id=actor.pk).values_list(
            "pipeline_id", flat=True)
        cached = frozenset(ids) or None
        actor._allowed_pipelines = cached
    return cached


def forget_pipeline_access(actor: User) -> None:
    """Drop the per-object memo after the actor's pipeline access changed."""
    actor.__dict__.pop("_allowed_pipelines", None)


# The path from a model to the pipeline that limits it; a task without a deal is not limited.
PIPELINE_PATHS: dict[str, str] = {"deals.Deal": "pipeline_id", "activities.Task": "deal__pipeline_id"}


def pipeline_q(actor: User, model_label: str) -> Q:
    allowed = allowed_pipeline_ids(actor)
    path = PIPELINE_PATHS.get(model_label)
    if allowed is None or path is None:
        return Q()
    q = Q(**{f"{path}__in": sorted(allowed)})
    return q | Q(deal__isnull=True) if model_label == "activities.Task" else q


def pipeline_allowed(actor: User, pipeline_id: int | None) -> bool:
    allowed = allowed_pipeline_ids(actor)
    return allowed is None or pipeline_id is None or pipeline_id in allowed


def require_pipeline(actor: User, pipeline, *, field: str = "pipeline") -> None:
    """A deal may be created in or moved to only a pipeline the actor may work in (else: not found)."""
    if pipeline is not None and not pipeline_allowed(actor, getattr(pipeline, "pk", pipeline)):
        raise NotFound(_("Not found: %(field)s.") % {"field": field}, field=field)


def scope_q(actor: User, model_label: str, *, scope: str | None = None) -> Q:
    """A filter that keeps only the rows of ``model_label`` the actor may see.

    ``scope`` overrides the object type's scope (reports read deals with the role's report scope).
    """
    pipelines = pipeline_q(actor, model_label)
    scope = scope or scope_of(actor, model_label)
    if scope == Scope.ALL:
        return pipelines
    if model_label == "clients.Client":
        return _client_q(actor, scope=scope)
    if model_label in VIA_CLIENT:
        return _client_q(actor, prefix=f"{VIA_CLIENT[model_label]}__", scope=scope)
    return _people_q(actor, OWNER_FIELDS[model_label], scope=scope) & pipelines


def can_see(actor: User, model_label: str, owner_ids: list[int | None], owner_team_ids: list[int | None]) -> bool:
    scope = scope_of(actor, model_label)
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


def _pipeline_of(obj) -> int | None:
    label = obj._meta.label
    if label == "deals.Deal":
        return obj.pipeline_id
    if label == "activities.Task" and obj.deal_id is not None:
        return obj.deal.pipeline_id
    return None


def is_visible(actor: User, obj) -> bool:
    """Whether the actor's scope covers ``obj`` (the object twin of ``scope_q``)."""
    if obj._meta.label in PIPELINE_PATHS and not pipeline_allowed(actor, _pipeline_of(obj)):
        return False
    label = obj._meta.label
    if label not in VIA_CLIENT and scope_of(actor, label) == Scope.ALL:
        return True
    if label in VIA_CLIENT:
        client = getattr(obj, VIA_CLIENT[label])
        return client is not None and is_visible(actor, client)
    if label not in OWNER_FIELDS:
        return True
    ids, teams = _owners(obj)
    if ids and can_see(actor, label, ids, teams):
        return True
    if label == "clients.Client" and obj.pk is not None:
        return _open_deals_of_actor(actor, scope_of(actor, label)).filter(client_id=obj.pk).exists()
    return False


def _require_actor(actor: User | None) -> None:
    if actor is None:
        raise Forbidden(_("No actor: background work acts as the system actor."))
    if not actor.is_active and not getattr(actor, "is_system", False):
        raise Forbidden(_("You must be signed in."))


def require_perm(actor: User, perm: str, obj=None) -> None:
    """Raise ``Forbidden`` unless the actor may perform ``perm`` (on ``obj``).

    ``perm`` is ``view``, ``change`` or ``configure``. Analysts only read; configuration is
    for admins; changes to a record need it to be within the actor's scope. There is no anonymous
    actor: background jobs, imports and automation pass ``accounts.services.get_system_actor()``.
    """
    _require_actor(actor)
    if actor.is_superuser:
        return
    if perm in CONFIG_PERMS:
        if actor.role != Role.ADMIN:
            raise Forbidden(_("Only administrators may change settings."))
        return
    if perm != "view" and actor.role == Role.ANALYST:
        raise Forbidden(_("Analysts have read-only access."))
    if obj is not None and not is_visible(actor, obj):
        raise Forbidden(_("This record is outside your scope."))


def require_visible(actor: User, obj, *, field: str) -> None:
    """An object handed to a service (a client, a contact, a deal) must be one the actor can see.

    Hidden is the same as missing (``NotFound``), so a refusal does not confirm that the record exists.
    ``None`` passes: callers decide whether the value is required.
    """
    if obj is None:
        return
    _require_actor(actor)
    if actor.is_superuser or is_visible(actor, obj):
        return
    raise NotFound(_("Not found: %(field)s.") % {"field": field}, field=field)


def require_contact_of(actor: User, contact, client, *, field: str = "contact") -> None:
    """A contact given to a deal or task belongs to that client and is visible to the actor."""
    if contact is None:
        return
    if client is None or contact.client_id != client.pk:
        raise DomainError(_("The contact belongs to another client."), field=field)
    require_visible(actor, contact, field=field)


def require_assignable(actor: User, user: User | None, *, field: str = "owner") -> None:
    """Records may be handed only to people within the actor's scope (a manager: himself).

    Nobody can be handed a record who cannot work on it: the system actor, a deactivated user, an analyst.
    """
    if user is None:
        return
    _require_actor(actor)
    if getattr(user, "is_system", False) or not user.is_active:
        raise DomainError(_("Choose an active user."), field=field)
    if user.role == Role.ANALYST and not user.is_superuser:
        raise DomainError(_("Analysts have read-only access and cannot be given records."), field=field)
    if actor.is_superuser or actor.scope == Scope.ALL or user.pk == actor.pk:
        return
    if actor.scope == Scope.TEAM and actor.team_id is not None and user.team_id == actor.team_id:
        return
    raise Forbidden(_("You cannot assign records to %(user)s.") % {"user": user}, field=field)
