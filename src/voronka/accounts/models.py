"""Users, teams and roles. The role decides the default scope: own, team or all."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MANAGER = "manager", _("Manager")
    LEAD = "lead", _("Team lead")
    HEAD = "head", _("Head of sales")
    ADMIN = "admin", _("Administrator")
    ANALYST = "analyst", _("Analyst")


class Scope(models.TextChoices):
    OWN = "own", _("Own records")
    TEAM = "team", _("Team records")
    ALL = "all", _("All records")


ROLE_SCOPES: dict[str, str] = {
    Role.MANAGER: Scope.OWN,
    Role.LEAD: Scope.TEAM,
    Role.HEAD: Scope.ALL,
    Role.ADMIN: Scope.ALL,
    Role.ANALYST: Scope.ALL,
}


class ObjectType(models.TextChoices):
    """What a role's scope is set for, separately (Settings › Access)."""

    CLIENTS = "clients", _("Clients and contacts")
    DEALS = "deals", _("Deals")
    TASKS = "tasks", _("Tasks")
    REPORTS = "reports", _("Reports")


# The object type of each scoped model; the timeline follows its deal or client.
MODEL_OBJECT_TYPES: dict[str, str] = {"clients.Client": ObjectType.CLIENTS, "clients.Contact": ObjectType.CLIENTS,
                                      "deals.Deal": ObjectType.DEALS, "activities.Task": ObjectType.TASKS}

# Administrators see everything (they configure the installation); the other roles are set in Settings › Access.
CONFIGURABLE_ROLES = (Role.MANAGER, Role.LEAD, Role.HEAD, Role.ANALYST)


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    lead = models.ForeignKey(
        "accounts.User", verbose_name=_("team lead"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="led_teams",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MANAGER)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="",
        choices=[("ru", "Русский"), ("en", "English")],
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    is_system = models.BooleanField(
        _("system actor"), default=False, editable=False,
        help_text=_("The one account background jobs, imports and automation act as; it cannot sign in."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
            models.UniqueConstraint(fields=["is_system"], condition=models.Q(is_system=True),
                                    name="user_one_system_actor"),
            models.CheckConstraint(condition=models.Q(is_system=False) | models.Q(is_active=False),
                                   name="user_system_actor_cannot_sign_in"),
        ]

    def __str__(self) -> str:
        if self.__dict__.get("is_system"):  # not ``self.is_system``: lists load users with ``only(...)``
            return str(_("System"))
        return self.get_full_name() or self.username

    @property
    def scope(self) -> str:
        """The scope of deals (and of what follows them: assignable people, list filters)."""
        return self.scope_for(ObjectType.DEALS)

    def scope_for(self, object_type: str) -> str:
        """The role's scope for one object type: Settings › Access, else the role's default (read once)."""
        if self.is_superuser:
            return Scope.ALL
        configured = self.__dict__.get("_role_scopes")
        if configured is None:
            configured = dict(RoleScope.objects.filter(role=self.role).values_list("object_type", "scope"))
            self.__dict__["_role_scopes"] = configured
        return configured.get(object_type) or ROLE_SCOPES.get(self.role, Scope.OWN)

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.ANALYST and not self.is_superuser

    @property
    def can_configure(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the plain token is shown once.

    The token reads ``vrk_<prefix>_<secret>``: the prefix finds the row, the hash of the whole token proves it.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    scope = models.CharField(_("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(scope__in=["read", "write"]), name="apitoken_scope_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (vrk_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    @staticmethod
    def hash_secret(raw: str) -> str:
        """What is stored of a plain token: its SHA-256 (the secret is random, so no salt or stretching)."""
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class IdempotencyKey(models.Model):
    """A POST to the API under an ``Idempotency-Key``: the request's fingerprint and the stored answer.

    ``status`` is null while the first request runs; a retry then gets a conflict instead of a second write.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    body = models.TextField(_("response body"), blank=True, default="")
    content_type = models.CharField(_("content type"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return self.key


class UserSession(models.Model):
    """A browser a user is signed in with: listed on his Sessions page, signed out one by one or all at once.

    The row goes with its session (``CASCADE``): sign-out, expiry purge and "sign out everywhere" delete the
    session, and the listing follows. The session key itself is never shown or put in a URL.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="sessions")
    session = models.OneToOneField("sessions.Session", verbose_name=_("session"), on_delete=models.CASCADE,
                                   related_name="+")
    ip = models.CharField(_("IP address"), max_length=45, blank=True, default="")
    user_agent = models.CharField(_("browser"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("signed in at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-last_seen_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.ip}"


class RoleScope(models.Model):
    """A role's scope for one object type, set in Settings › Access (no row: the role's default scope)."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    object_type = models.CharField(_("object type"), max_length=16, choices=ObjectType.choices)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices)

    class Meta:
        verbose_name = _("role scope")
        verbose_name_plural = _("role scopes")
        constraints = [
            models.UniqueConstraint(fields=["role", "object_type"], name="rolescope_unique"),
            models.CheckConstraint(condition=models.Q(role__in=[r.value for r in Role]), name="rolescope_role_valid"),
            models.CheckConstraint(condition=models.Q(object_type__in=[t.value for t in ObjectType]),
                                   name="rolescope_type_valid"),
            models.CheckConstraint(condition=models.Q(scope__in=[s.value for s in Scope]), name="rolescope_scope_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.object_type}: {self.scope}"


class AssignMode(models.TextChoices):
    """How the next person is chosen from a pool (a team's active managers and lead, or a role)."""

    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("The least loaded (fewest open deals)")


# Who takes turns in a team: its active managers and its lead (heads, admins and analysts do not).
POOL_ROLES: tuple[str, ...] = (Role.MANAGER, Role.LEAD)


class AssignmentTurn(models.Model):
    """The one round-robin turn store: who was given the last deal or lead in a pool, by the pool's key
    (``team:<id>`` for the conveyor and the ``assign_owner`` action, ``role:<role>[:team:<id>]``,
    ``form:<id>`` for a web form, ``mailbox``). ``accounts.services.next_member`` locks the row
    (``select_for_update``) while it chooses, so two hand-offs at once never take the same turn."""

    key = models.CharField(_("pool"), max_length=64, unique=True)
    last_assigned = models.ForeignKey(User, verbose_name=_("last assigned"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assignment turn")
        verbose_name_plural = _("assignment turns")

    def __str__(self) -> str:
        return self.key


class TwoFactorRequirement(models.Model):
    """A role whose users must sign in with an authenticator app (Settings › Access); one row per role."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, unique=True)

    class Meta:
        verbose_name = _("two-factor requirement")
        verbose_name_plural = _("two-factor requirements")
        constraints = [models.CheckConstraint(condition=models.Q(role__in=[r.value for r in Role]),
                                              name="twofactorrequirement_role_valid")]

    def __str__(self) -> str:
        return self.role
