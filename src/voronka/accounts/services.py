"""Writes of users and teams."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, Team, User
from voronka.accounts.permissions import require_perm
from voronka.core.errors import DomainError


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


@transaction.atomic
def create_team(*, actor: User | None, name: str, lead: User | None = None) -> Team:
    if actor is not None:
        require_perm(actor, "configure")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the team name."), field="name")
    if Team.objects.filter(name=name).exists():
        raise DomainError(_("A team with this name already exists."), field="name")
    return Team.objects.create(name=name, lead=lead)


@transaction.atomic
def set_user_language(*, actor: User, language: str) -> User:
    if language not in ("ru", "en"):
        raise DomainError(_("Unknown language."), field="language")
    actor.language = language
    actor.save(update_fields=["language"])
    return actor
