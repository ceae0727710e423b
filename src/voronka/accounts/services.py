"""Writes of users and teams."""

from __future__ import annotations

import datetime as dt
import secrets

from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import (
    CONFIGURABLE_ROLES,
    ROLE_SCOPES,
    ApiToken,
    AssignmentTurn,
    AssignMode,
    IdempotencyKey,
    ObjectType,
    Role,
    RoleScope,
    Scope,
    Team,
    TokenScope,
    User,
    UserSession,
)
from voronka.accounts.permissions import require_perm
from voronka.accounts.selectors import open_deal_counts
from voronka.audit.services import diff
from voronka.core.errors import Conflict, DomainError, Forbidden, NotFound
from voronka.events.services import record_event


@transaction.atomic
def ensure_admin(*, username: str = "admin", password: str = "", email: str = "") -> tuple[User, bool]:
    """Create (or reset the password of) a superuser with the admin role."""
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    user.role = Role.ADMIN
    user.is_staff = True
    user.is_superuser = True
    user.is_active = True
    user.set_password(password or secrets.token_urlsafe(12))
    user.save()
    return user, created


SYSTEM_USERNAME = "system"


def get_system_actor() -> User:
    """The explicit actor of background jobs, imports, the demo, template installation and automation.

    One ``User`` row flagged ``is_system`` (created on first use): inactive with an unusable password, so it
    cannot sign in and appears in no picker or My day, yet ``require_perm`` lets it configure and change
    everything (administrator role, scope all). Its writes are recorded in the audit trail under its name.
    """
    user = User.objects.filter(is_system=True).first()
    if user is not None:
        return user
    username = SYSTEM_USERNAME
    if User.objects.filter(username=username).exists():
        username = f"{SYSTEM_USERNAME}-{secrets.token_hex(3)}"
    user = User(username=username, role=Role.ADMIN, is_system=True, is_active=False, is_staff=False,
                is_superuser=False)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # another process created it meanwhile
        user = None
    return user or User.objects.get(is_system=True)


def _person(user: User | None, field: str) -> None:
    """The system actor is nobody's lead and is not managed in the settings."""
    if user is not None and user.is_system:
        raise NotFound(_("User not found."), field=field)


# --- round-robin turns (the one store: conveyor, ``assign_owner``, web forms, mailbox) -----------------------

TURN_KEY_MAX = 64


def _locked_turn(key: str) -> AssignmentTurn:
    """The pool's turn row, locked until the caller's transaction ends (created on first use; a concurrent
    first use waits on the unique key, then locks the row the other one made)."""
    turn = AssignmentTurn.objects.select_for_update().filter(key=key).first()
    if turn is not None:
        return turn
    try:
        with transaction.atomic():
            return AssignmentTurn.objects.create(key=key)
    except IntegrityError:
        return AssignmentTurn.objects.select_for_update().get(key=key)


@transaction.atomic
def next_member(*, key: str, members, mode: str = AssignMode.ROUND_ROBIN) -> User | None:
    """The next person of a pool, and the turn moved to him; None when the pool has nobody.

    ``members``: a queryset of the pool's users (``selectors.pool_members``); ``key`` names the pool's turn.
    Round-robin: the member after the last one given something (by id), wrapping round; a member who left the
    pool is simply skipped. Least loaded: the member with the fewest open deals, ties broken by the turn. The
    turn row is locked while choosing (the caller's transaction keeps it until commit), so concurrent callers
    queue and each sees the previous choice.
    """
    if mode not in AssignMode.values:
        raise DomainError(_("Unknown way of choosing: %(mode)s.") % {"mode": str(mode)[:40]}, field="mode")
    if not key or len(key) > TURN_KEY_MAX:
        raise DomainError(_("Unknown pool."), field="key")
    turn = _locked_turn(key)
    ids = list(members.order_by("id").values_list("id", flat=True))
    if not ids:
        return None
    last = turn.last_assigned_id
    order = ([i for i in ids if i > last] + [i for i in ids if i <= last]) if last is not None else ids
    if mode == AssignMode.LEAST_LOADED:
        loads = open_deal_counts(ids)
        least = min(loads.values())
        chosen = next(i for i in order if loads[i] == least)
    else:
        chosen = order[0]
    turn.last_assigned_id = chosen
    turn.save(update_fields=["last_assigned", "updated_at"])
    return User.objects.select_related("team").get(pk=chosen)


def forget_turn(*, key: str) -> None:
    """Start a pool's turns afresh (its members changed wholesale, e.g. another team)."""
    AssignmentTurn.objects.filter(key=key).delete()


@transaction.atomic
def create_team(*, actor: User, name: str, lead: User | None = None) -> Team:
    require_perm(actor, "configure")
    _person(lead, "lead")
    if lead is not None and not lead.is_active:
        raise DomainError(_("The team lead must be an active user."), field="lead")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the team name."), field="name")
    if Team.objects.filter(name=name).exists():
        raise DomainError(_("A team with this name already exists."), field="name")
    team = Team.objects.create(name=name, lead=lead)
    record_event(actor=actor, verb="team.created", target=team)
    return team


@transaction.atomic
def set_user_language(*, actor: User, language: str) -> User:
    if language not in ("ru", "en"):
        raise DomainError(_("Unknown language."), field="language")
    actor.language = language
    actor.save(update_fields=["language"])
    return actor


# --- settings: users and teams ----------------------------------------------------------------------------

def _clean_username(username: str, *, exclude: int | None = None) -> str:
    username = (username or "").strip()
    if not username:
        raise DomainError(_("Enter the username."), field="username")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="username") from exc
    if len(username) > 150:
        raise DomainError(_("The username is at most 150 characters."), field="username")
    clash = User.objects.filter(username__iexact=username)
    if exclude:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise DomainError(_("The username “%(u)s” is taken.") % {"u": username}, field="username")
    return username


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError(_("Enter a valid email address."), field="email") from exc
    return email


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise DomainError(_("Choose a role."), field="role")
    return role


def _check_password(password: str, user: User) -> None:
    if not password:
        raise DomainError(_("Enter a password."), field="password")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from exc


def _keep_own_access(*, actor: User, user: User, role: str, is_active: bool) -> None:
    """An administrator cannot lock themselves out (so an administrator always remains)."""
    if user.pk != actor.pk:
        return
    if not is_active:
        raise DomainError(_("You cannot deactivate your own account."), field="is_active")
    if not (user.is_superuser or role == Role.ADMIN):
        raise DomainError(_("You cannot take away your own administrator role."), field="role")


def open_work_of(user: User) -> dict[str, int]:
    """What a deactivation must hand over: open deals, open tasks, clients he is responsible for."""
    # accounts sits below deals, activities and clients (docs/architecture.md): models by the app registry.
    return {
        "deals": apps.get_model("deals", "Deal").objects.filter(owner=user, status="open").count(),
        "tasks": apps.get_model("activities", "Task").objects.filter(assignee=user, status="open").count(),
        "clients": apps.get_model("clients", "Client").objects.filter(responsible=user).count(),
    }


def _refuse_orphaned_work(user: User) -> None:
    """Deactivating somebody with open work would leave deals and clients nobody can act on."""
    work = open_work_of(user)
    if any(work.values()):
        raise DomainError(
            _("%(user)s still has %(deals)s open deals, %(tasks)s open tasks and %(clients)s clients: use "
              "“Deactivate and hand over” to give them to colleagues first.") % {"user": user, **work},
            field="is_active")


@transaction.atomic
def create_user(*, actor: User, username: str, password: str, role: str = Role.MANAGER, team: Team | None = None,
                first_name: str = "", last_name: str = "", email: str = "", language: str = "") -> User:
    require_perm(actor, "configure")
    user = User(username=_clean_username(username), first_name=(first_name or "").strip()[:150],
                last_name=(last_name or "").strip()[:150], email=_clean_email(email), role=_check_role(role),
                team=team, language=language if language in ("ru", "en") else "")
    _check_password(password, user)
    user.set_password(password)
    user.save()
    record_event(actor=actor, verb="user.created", target=user)
    return user


@transaction.atomic
def update_user(*, actor: User, user: User, role: str, team: Team | None, is_active: bool,
                first_name: str = "", last_name: str = "", email: str = "") -> User:
    """Change a user's name, email, role, team or access (deactivate instead of deleting)."""
    require_perm(actor, "configure")
    _person(user, "user")
    role = _check_role(role)
    _keep_own_access(actor=actor, user=user, role=role, is_active=bool(is_active))
    if user.is_active and not is_active:
        _refuse_orphaned_work(user)
    fields = ["first_name", "last_name", "email", "role", "team", "is_active"]
    before = {f: getattr(user, f) for f in fields}
    user.first_name = (first_name or "").strip()[:150]
    user.last_name = (last_name or "").strip()[:150]
    user.email = _clean_email(email)
    user.role = role
    user.team = team
    user.is_active = bool(is_active)
    user.save(update_fields=fields)
    record_event(actor=actor, verb="user.updated", target=user, changes=diff(user, before, fields))
    if before["is_active"] and not user.is_active:
        end_sessions(actor=actor, user=user)
        revoke_all_api_tokens(actor=actor, user=user)
    return user


@transaction.atomic
def reset_user_password(*, actor: User, user: User, password: str) -> User:
    """An administrator sets a new password (tell it to the user; they can change it in the user menu)."""
    require_perm(actor, "configure")
    _person(user, "user")
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record_event(actor=actor, verb="user.password_reset", target=user)
    return user


@transaction.atomic
def update_team(*, actor: User, team: Team, name: str, lead: User | None = None) -> Team:
    require_perm(actor, "configure")
    _person(lead, "lead")
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Enter the team name."), field="name")
    if any(n.casefold() == name.casefold() for n in Team.objects.exclude(pk=team.pk).values_list("name", flat=True)):
        raise DomainError(_("A team with this name already exists."), field="name")
    if lead is not None and not lead.is_active and lead.pk != team.lead_id:
        raise DomainError(_("The team lead must be an active user."), field="lead")
    before = {"name": team.name, "lead": team.lead}
    team.name = name
    team.lead = lead
    team.save(update_fields=["name", "lead"])
    record_event(actor=actor, verb="team.updated", target=team, changes=diff(team, before, ["name", "lead"]))
    return team


# --- access per role and object type -----------------------------------------------------------------------

@transaction.atomic
def set_role_scopes(*, actor: User, scopes: dict[tuple[str, str], str]) -> int:
    """Set the scope of (role, object type) pairs; a value equal to the role's default removes the row.

    Every value is checked (a known role that may be configured, a known object type, own / team / all);
    each change is audited as old -> new. Returns how many pairs changed.
    """
    require_perm(actor, "configure")
    current = {(r.role, r.object_type): r for r in RoleScope.objects.select_for_update()}
    changed = 0
    for (role, object_type), scope in scopes.items():
        if role not in CONFIGURABLE_ROLES:
            raise DomainError(_("The scope of this role cannot be changed."), field=f"{role}-{object_type}")
        if object_type not in ObjectType.values:
            raise DomainError(_("Unknown object type."), field=f"{role}-{object_type}")
        if scope not in Scope.values:
            raise DomainError(_("Choose own, team or all records."), field=f"{role}-{object_type}")
        row = current.get((role, object_type))
        before = row.scope if row else ROLE_SCOPES[role]
        if before == scope:
            continue
        if scope == ROLE_SCOPES[role]:
            row.delete()
            target = RoleScope(pk=row.pk, role=role, object_type=object_type, scope=scope)
        elif row:
            row.scope = scope
            row.save(update_fields=["scope"])
            target = row
        else:
            target = RoleScope.objects.create(role=role, object_type=object_type, scope=scope)
        record_event(actor=actor, verb="access.scope_changed", target=target, changes={"scope": (before, scope)},
                     data={"role": role, "object_type": object_type})
        changed += 1
    return changed


# --- sessions ---------------------------------------------------------------------------------------------

def register_session(*, user: User, session_key: str | None, ip: str = "", user_agent: str = "") -> UserSession | None:
    """After a sign-in: list the browser on the user's Sessions page (``login()`` has saved the session)."""
    from django.contrib.sessions.models import Session

    if not session_key or not Session.objects.filter(pk=session_key).exists():
        return None
    entry, _created = UserSession.objects.update_or_create(
        session_id=session_key, defaults={"user": user, "ip": (ip or "")[:45], "user_agent": (user_agent or "")[:300]})
    return entry


def touch_session(*, session_key: str | None, now: dt.datetime | None = None) -> None:
    """The idle clock moved (at most once a minute): the listing shows when the browser was last seen."""
    if session_key:
        UserSession.objects.filter(session_id=session_key).update(last_seen_at=now or timezone.now())


def _may_manage_access(actor: User, user: User) -> None:
    if actor is None or user is None:
        raise Forbidden(_("You must be signed in."))
    if actor.pk != user.pk:
        require_perm(actor, "configure")


def _session_keys_of(user: User, *, now: dt.datetime) -> list[str]:
    """Every live session of the user: the listed ones and, from before the listing existed, the rest."""
    from django.contrib.sessions.models import Session

    keys = set(UserSession.objects.filter(user=user).values_list("session_id", flat=True))
    unlisted = Session.objects.filter(expire_date__gt=now).exclude(pk__in=UserSession.objects.values("session_id"))
    for session in unlisted.iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            keys.add(session.pk)
    return sorted(keys)


@transaction.atomic
def end_sessions(*, actor: User, user: User, keep_session_key: str | None = None) -> int:
    """Sign ``user`` out of every browser (but the one ``keep_session_key`` names); returns how many ended."""
    from django.contrib.sessions.models import Session

    _may_manage_access(actor, user)
    keys = [k for k in _session_keys_of(user, now=timezone.now()) if k != keep_session_key]
    if keys:
        Session.objects.filter(pk__in=keys).delete()
        record_event(actor=actor, verb="user.sessions_ended", target=user, data={"count": len(keys)})
    return len(keys)


@transaction.atomic
def end_session(*, actor: User, entry: UserSession) -> None:
    """Sign one of the actor's own browsers out."""
    from django.contrib.sessions.models import Session

    if actor is None or entry.user_id != actor.pk:
        raise NotFound(_("Not found: %(field)s.") % {"field": "session"}, field="session")
    Session.objects.filter(pk=entry.session_id).delete()
    record_event(actor=actor, verb="user.sessions_ended", target=actor, data={"count": 1})


@transaction.atomic
def revoke_all_api_tokens(*, actor: User, user: User) -> int:
    """Revoke every active token of ``user`` (deactivation, or the user himself)."""
    _may_manage_access(actor, user)
    revoked = ApiToken.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())
    if revoked:
        record_event(actor=actor, verb="user.tokens_revoked", target=user, data={"count": revoked})
    return revoked


def purge_expired_sessions(*, now: dt.datetime) -> int:
    """Delete the sessions expired at ``now`` (idle or signed out long ago); returns how many went."""
    from django.contrib.sessions.models import Session

    _deleted, by_model = Session.objects.filter(expire_date__lt=now).delete()  # their listings go with them
    return by_model.get("sessions.Session", 0)


# --- personal API tokens ----------------------------------------------------------------------------------

TOKEN_PREFIX = "vrk_"
TOKEN_NAME_MAX = 100
TOKENS_PER_USER = 20
LAST_USED_STEP = dt.timedelta(minutes=1)  # last_used_at is written at most once a minute per token


@transaction.atomic
def create_api_token(*, actor: User, name: str, scope: str = TokenScope.READ) -> tuple[ApiToken, str]:
    """A new token of the actor; returns it with the plain token, which is never stored nor shown again."""
    if actor is None or not actor.is_active or actor.is_system:
        raise Forbidden(_("You must be signed in."))
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Name the token (what uses it)."), field="name")
    if len(name) > TOKEN_NAME_MAX:
        raise DomainError(_("At most %(n)s characters.") % {"n": TOKEN_NAME_MAX}, field="name")
    if scope not in TokenScope.values:
        raise DomainError(_("Choose read or read-write."), field="scope")
    if scope == TokenScope.WRITE and actor.is_read_only:
        raise DomainError(_("Analysts have read-only access: their tokens only read."), field="scope")
    if ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count() >= TOKENS_PER_USER:
        raise DomainError(_("At most %(n)s active tokens: revoke one first.") % {"n": TOKENS_PER_USER},
                          field="name")
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():  # 4 bytes: a clash is rare, never fatal
        prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=actor, name=name, prefix=prefix, secret_hash=ApiToken.hash_secret(raw), scope=scope)
    record_event(actor=actor, verb="api_token.created", target=token, data={"scope": scope, "prefix": prefix})
    return token, raw


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token for good (its owner, or an administrator); revoking twice changes nothing."""
    if actor is None or not actor.is_active:
        raise Forbidden(_("You must be signed in."))
    if token.user_id != actor.pk and not actor.can_configure:
        raise NotFound(_("Token not found."), field="token")
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(actor=actor, verb="api_token.revoked", target=token, changes={"revoked_at": (None, token.revoked_at)},
                 data={"prefix": token.prefix})
    return token


def mark_token_used(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Note the token's use (at most one write a minute, so a busy integration does not write every call)."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_STEP:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- idempotent API writes --------------------------------------------------------------------------------

IDEMPOTENCY_KEY_MAX = 255
IDEMPOTENCY_TTL = dt.timedelta(hours=24)


class IdempotencyMismatch(DomainError):
    """The key was used for another request (another body, method or path)."""

    status = 422
    default_code = "idempotency_key_reused"


class IdempotencyInProgress(Conflict):
    default_code = "idempotency_in_progress"


def begin_idempotent(*, user: User, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """Claim ``key`` for this request: ``(record, True)`` to run it, ``(stored, False)`` to replay its answer.

    The claim is committed before the request runs (no transaction spans the handler), so a concurrent
    retry finds it and gets ``IdempotencyInProgress`` rather than a second write. Keys older than a day
    are forgotten.
    """
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isascii() or not key.isprintable():
        raise DomainError(_("The Idempotency-Key is 1 to %(n)s printable ASCII characters.")
                          % {"n": IDEMPOTENCY_KEY_MAX}, field="Idempotency-Key", code="invalid_idempotency_key")
    IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint), True
    except IntegrityError:
        pass
    stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is None:  # the other request failed and let the key go meanwhile
        raise IdempotencyInProgress(_("A request with this Idempotency-Key is being processed; retry."),
                                    field="Idempotency-Key")
    if stored.fingerprint != fingerprint:
        raise IdempotencyMismatch(_("This Idempotency-Key was used for a different request."),
                                  field="Idempotency-Key")
    if stored.status is None:
        raise IdempotencyInProgress(_("A request with this Idempotency-Key is being processed; retry."),
                                    field="Idempotency-Key")
    return stored, False


def purge_idempotency_keys(*, now: dt.datetime | None = None) -> int:
    """Forget the keys older than a day (``voronka tick``); a second run for the same moment deletes nothing."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def finish_idempotent(*, record: IdempotencyKey, status: int, body: str, content_type: str) -> None:
    """Store the answer a retry will get."""
    IdempotencyKey.objects.filter(pk=record.pk).update(status=status, body=body, content_type=content_type[:100])


def abandon_idempotent(*, record: IdempotencyKey) -> None:
    """The request failed: free the key so that a corrected retry can run."""
    IdempotencyKey.objects.filter(pk=record.pk, status__isnull=True).delete()
