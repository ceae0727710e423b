"""Write audit entries for service changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from voronka.audit.models import AuditEntry


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return f"{value.pk}:{value}"
    return str(value)


def record_audit(*, actor, action: str, obj, changes: dict[str, tuple[Any, Any]] | None = None) -> None:
    """One entry per changed field (or one bare entry when there are no field changes)."""
    label = obj._meta.label
    if not changes:
        AuditEntry.objects.create(actor=actor, action=action, object_type=label, object_id=str(obj.pk))
        return
    AuditEntry.objects.bulk_create(
        AuditEntry(actor=actor, action=action, object_type=label, object_id=str(obj.pk), field=field,
                   old=_text(old), new=_text(new))
        for field, (old, new) in changes.items()
    )


def diff(obj, before: dict[str, Any], fields: Iterable[str]) -> dict[str, tuple[Any, Any]]:
    """The fields whose value differs from the snapshot ``before``."""
    return {f: (before.get(f), getattr(obj, f)) for f in fields if before.get(f) != getattr(obj, f)}


def record_disclosure(*, actor, obj, via: str) -> None:
    """A read worth auditing: a record outside the actor's scope was named to him (``client.disclosed``)."""
    record_audit(actor=actor, action=f"{obj._meta.model_name}.disclosed", obj=obj, changes={"via": ("", via)})


def record_sign_in_event(*, action: str, user=None, username: str = "", ip: str = "") -> None:
    """A sign-in, a failed sign-in or a lockout: who (the user, else the name typed), from which address."""
    subject = str(user.pk) if user is not None else (username or "")[:64]
    AuditEntry.objects.create(actor=user if user is not None and user.pk else None, action=action,
                              object_type="accounts.User", object_id=subject, field="ip", new=ip or "")


def record_export(*, actor, what: str, rows: int, filters: str = "") -> None:
    """An export of data (a CSV of the audit log, a list): who, what, how many rows, with which filters."""
    AuditEntry.objects.create(actor=actor if getattr(actor, "pk", None) else None, action="export",
                              object_type=what[:64], object_id=str(rows), field="filters", new=filters)
