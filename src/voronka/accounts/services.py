"""Writes of users and teams."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, Team, User
from voronka.accounts.permissions import require_perm
from voronka.audit.services import diff
from voronka.core.errors import DomainError, NotFound
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


def purge_expired_sessions(*, now: dt.datetime) -> int:
    """Delete the sessions expired at ``now`` (idle or signed out long ago); returns how many went."""
    from django.contrib.sessions.models import Session

    deleted, _by_model = Session.objects.filter(expire_date__lt=now).delete()
    return deleted
