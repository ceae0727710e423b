"""Settings › Mailbox and Settings › Telephony: the stored settings of the two capture channels, their checks,
and the effective configuration the channels run with.

Precedence, field by field: a value saved on the settings page wins; a field left empty there falls back to
its environment variable (``VORONKA_IMAP_*``, ``VORONKA_MAIL_*``, ``VORONKA_TELEPHONY_*``). Before the mailbox
page is first saved, the environment alone decides (the mailbox is on when ``VORONKA_IMAP_HOST`` is set); once
saved, its "enabled" box does. The telephony webhook accepts the page's token and every token of
``VORONKA_TELEPHONY_TOKENS``. The stored password is never shown again; an empty password field keeps it.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import secrets
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, Team, User
from voronka.accounts.permissions import require_perm
from voronka.accounts.services import forget_turn
from voronka.core.errors import DomainError
from voronka.events.services import record_event
from voronka.integrations.models import AssignMode, MailboxSettings, TelephonySettings
from voronka.pipelines.models import Pipeline

_HOST = re.compile(r"[A-Za-z0-9.\-:\[\]]{1,255}")
_FOLDER_BAD = re.compile(r"[\r\n\"\\]")
MAILBOX_FIELDS = ("enabled", "host", "port", "use_ssl", "username", "folder", "pipeline", "assign_mode",
                  "assignee", "team")


@dataclass(frozen=True)
class MailboxConfig:
    """The mailbox as ``voronka tick`` uses it (page values over environment defaults)."""

    enabled: bool
    host: str
    port: int
    use_ssl: bool
    username: str
    password: str
    folder: str
    pipeline_slug: str
    pipeline: Pipeline | None
    assign_mode: str
    assignee_name: str
    assignee: User | None
    team: Team | None


def stored_mailbox() -> MailboxSettings | None:
    return MailboxSettings.objects.select_related("pipeline", "assignee", "team").order_by("pk").first()


def mailbox_config(row: MailboxSettings | None = None) -> MailboxConfig:
    """The effective mailbox configuration: the stored row's values, the environment's for empty fields."""
    row = row if row is not None else stored_mailbox()
    if row is None:
        return MailboxConfig(
            enabled=bool(settings.VORONKA_IMAP_HOST), host=settings.VORONKA_IMAP_HOST,
            port=settings.VORONKA_IMAP_PORT, use_ssl=settings.VORONKA_IMAP_SSL,
            username=settings.VORONKA_IMAP_USER, password=settings.VORONKA_IMAP_PASSWORD,
            folder=settings.VORONKA_IMAP_FOLDER or "INBOX", pipeline_slug=settings.VORONKA_MAIL_PIPELINE,
            pipeline=None, assign_mode=AssignMode.FIXED, assignee_name=settings.VORONKA_MAIL_ASSIGNEE,
            assignee=None, team=None)
    use_ssl = row.use_ssl
    return MailboxConfig(
        enabled=row.enabled, host=row.host or settings.VORONKA_IMAP_HOST,
        port=row.port or ((993 if use_ssl else 143) if row.host else settings.VORONKA_IMAP_PORT),
        use_ssl=use_ssl, username=row.username or settings.VORONKA_IMAP_USER,
        password=row.password or settings.VORONKA_IMAP_PASSWORD,
        folder=row.folder or settings.VORONKA_IMAP_FOLDER or "INBOX",
        pipeline_slug="" if row.pipeline_id else settings.VORONKA_MAIL_PIPELINE, pipeline=row.pipeline,
        assign_mode=row.assign_mode, assignee_name="" if row.assignee_id else settings.VORONKA_MAIL_ASSIGNEE,
        assignee=row.assignee, team=row.team)


def can_own(user: User | None) -> bool:
    return bool(user and user.is_active and not user.is_system and user.role != Role.ANALYST)


def _check_pipeline(pipeline: Pipeline | None) -> None:
    if pipeline is not None and not pipeline.is_active:
        raise DomainError(_("Choose an active pipeline."), field="pipeline")


def _check_manager(user: User | None, field: str = "assignee") -> None:
    if user is not None and not can_own(user):
        raise DomainError(_("Choose an active manager (not an analyst)."), field=field)


def _clean_mailbox(*, enabled: bool, host: str, port: int | None, use_ssl: bool, username: str,
                   folder: str, pipeline: Pipeline | None, assign_mode: str, assignee: User | None,
                   team: Team | None, password_known: bool) -> dict:
    host = str(host or "").strip()
    if host and not _HOST.fullmatch(host):
        raise DomainError(_("A host name or an IP address."), field="host")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535):
        raise DomainError(_("A port from 1 to 65535."), field="port")
    username = str(username or "").strip()
    if len(username) > 255 or any(c in username for c in "\r\n"):
        raise DomainError(_("At most 255 characters, one line."), field="username")
    folder = str(folder or "").strip()
    if len(folder) > 255 or _FOLDER_BAD.search(folder):
        raise DomainError(_("A folder name (no quotes, backslashes or line breaks)."), field="folder")
    _check_pipeline(pipeline)
    if assign_mode == AssignMode.FIXED:
        _check_manager(assignee)
        team = None
    elif assign_mode in (AssignMode.ROUND_ROBIN, AssignMode.LEAST_LOADED):
        if team is None:
            raise DomainError(_("Choose the team whose managers take turns."), field="team")
        assignee = None
    else:
        raise DomainError(_("Unknown assignment."), field="assign_mode")
    if enabled:
        if not (host or settings.VORONKA_IMAP_HOST):
            raise DomainError(_("Enter the IMAP server to switch the mailbox on."), field="host")
        if not (username or settings.VORONKA_IMAP_USER):
            raise DomainError(_("Enter the user to switch the mailbox on."), field="username")
        if not (password_known or settings.VORONKA_IMAP_PASSWORD):
            raise DomainError(_("Enter the password to switch the mailbox on."), field="password")
        if assign_mode == AssignMode.FIXED and assignee is None and not settings.VORONKA_MAIL_ASSIGNEE:
            raise DomainError(_("Choose the manager who gets the leads."), field="assignee")
    return {"enabled": bool(enabled), "host": host, "port": port, "use_ssl": bool(use_ssl), "username": username,
            "folder": folder, "pipeline": pipeline, "assign_mode": assign_mode, "assignee": assignee, "team": team}


@transaction.atomic
def save_mailbox_settings(*, actor: User, enabled: bool, host: str, port: int | None, use_ssl: bool,
                          username: str, password: str | None, folder: str, pipeline: Pipeline | None,
                          assign_mode: str, assignee: User | None, team: Team | None) -> MailboxSettings:
    """Save Settings › Mailbox (``password``: ``None`` or empty keeps the stored one). Audited (the password
    as "changed", never its value)."""
    require_perm(actor, "configure")
    row = MailboxSettings.objects.select_for_update().order_by("pk").first() or MailboxSettings()
    password = str(password or "")
    if len(password) > 255 or any(c in password for c in "\r\n"):
        raise DomainError(_("At most 255 characters, one line."), field="password")
    values = _clean_mailbox(enabled=enabled, host=host, port=port, use_ssl=use_ssl, username=username,
                            folder=folder, pipeline=pipeline, assign_mode=assign_mode, assignee=assignee,
                            team=team, password_known=bool(password or row.password))
    before = {f: getattr(row, f) for f in MAILBOX_FIELDS}
    for field, value in values.items():
        setattr(row, field, value)
    if row.team != before["team"]:  # a new team starts its turns afresh
        forget_turn(key=row.turn_key)
    changes = {f: (before[f], getattr(row, f)) for f in MAILBOX_FIELDS if before[f] != getattr(row, f)}
    if password:
        row.password = password
        changes["password"] = ("", _("(changed)"))
    created = row.pk is None
    row.save()
    record_event(actor=actor, verb="settings.mailbox_saved", target=row, changes=changes or None,
                 data={"created": created})
    return row


def check_mailbox_connection(*, actor: User, host: str, port: int | None, use_ssl: bool, username: str,
                            password: str | None, folder: str) -> str:
    """Sign in to the IMAP server with these values (an empty password: the stored one, else the
    environment's) and open the folder; returns a success message, raises ``DomainError`` saying what failed.
    Nothing is saved."""
    require_perm(actor, "configure")
    values = _clean_mailbox(enabled=False, host=host, port=port, use_ssl=use_ssl, username=username,
                            folder=folder, pipeline=None, assign_mode=AssignMode.FIXED, assignee=None, team=None,
                            password_known=True)
    row = stored_mailbox()
    config = mailbox_config(row)
    host = values["host"] or config.host
    if not host:
        raise DomainError(_("Enter the IMAP server."), field="host")
    port = values["port"] or (993 if values["use_ssl"] else 143)
    username = values["username"] or config.username
    password = str(password or "") or (row.password if row is not None else "") or settings.VORONKA_IMAP_PASSWORD
    folder = values["folder"] or config.folder
    timeout = min(settings.VORONKA_IMAP_TIMEOUT_SECONDS, 15)
    try:
        conn = (imaplib.IMAP4_SSL(host, port, timeout=timeout) if values["use_ssl"]
                else imaplib.IMAP4(host, port, timeout=timeout))
    except (TimeoutError, OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
        raise DomainError(_("Cannot reach %(host)s:%(port)s (%(error)s).")
                          % {"host": host, "port": port, "error": str(exc)[:200]}, field="host") from exc
    try:
        try:
            conn.login(username, password)
        except imaplib.IMAP4.error as exc:
            raise DomainError(_("The server refused the user or the password."), field="password") from exc
        status, data = conn.select(folder, readonly=True)
        if status != "OK":
            raise DomainError(_("No folder “%(folder)s” on the server.") % {"folder": folder}, field="folder")
        count = int((data or [b"0"])[0] or 0)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise DomainError(_("The connection failed: %(error)s") % {"error": str(exc)[:200]}, field="host") from exc
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()
    return _("Connected: signed in as %(user)s, folder “%(folder)s” has %(n)s messages.") % {
        "user": username, "folder": folder, "n": count}


# --- telephony -------------------------------------------------------------------------------------------------

def stored_telephony() -> TelephonySettings | None:
    return TelephonySettings.objects.select_related("pipeline", "assignee").order_by("pk").first()


def telephony_tokens() -> list[str]:
    """Every accepted secret: the page's token and the environment's."""
    row = stored_telephony()
    tokens = [t for t in settings.VORONKA_TELEPHONY_TOKENS if t]
    if row is not None and row.token:
        tokens.append(row.token)
    return tokens


def telephony_targets() -> tuple[Pipeline | None, str, User | None, str]:
    """(stored pipeline, environment pipeline slug, stored manager, environment manager name)."""
    row = stored_telephony()
    pipeline = row.pipeline if row is not None else None
    assignee = row.assignee if row is not None else None
    return (pipeline, "" if pipeline else settings.VORONKA_TELEPHONY_PIPELINE,
            assignee, "" if assignee else settings.VORONKA_TELEPHONY_ASSIGNEE)


@transaction.atomic
def save_telephony_settings(*, actor: User, pipeline: Pipeline | None, assignee: User | None) -> TelephonySettings:
    """Save where leads from unknown numbers go (empty: the environment's, else the first inbound pipeline)."""
    require_perm(actor, "configure")
    _check_pipeline(pipeline)
    _check_manager(assignee)
    row = TelephonySettings.objects.select_for_update().order_by("pk").first() or TelephonySettings()
    before = {"pipeline": row.pipeline, "assignee": row.assignee} if row.pk else {"pipeline": None, "assignee": None}
    row.pipeline, row.assignee = pipeline, assignee
    row.save()
    changes = {f: (before[f], getattr(row, f)) for f in ("pipeline", "assignee") if before[f] != getattr(row, f)}
    record_event(actor=actor, verb="settings.telephony_saved", target=row, changes=changes or None)
    return row


@transaction.atomic
def regenerate_telephony_token(*, actor: User) -> TelephonySettings:
    """A new secret token for the webhook address (the old page token stops working at once)."""
    require_perm(actor, "configure")
    row = TelephonySettings.objects.select_for_update().order_by("pk").first() or TelephonySettings()
    had = bool(row.token)
    row.token = secrets.token_urlsafe(32)
    row.save()
    record_event(actor=actor, verb="settings.telephony_token_regenerated", target=row,
                 changes={"token": (_("(old)") if had else "", _("(new)"))})
    return row
