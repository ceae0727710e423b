"""Turn Django validation errors into domain errors with a field name."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from voronka.core.errors import DomainError


def as_domain_error(exc: ValidationError) -> DomainError:
    if hasattr(exc, "error_dict"):
        fields = [f for f in exc.error_dict if f != "__all__"]
        messages = []
        for field, errors in exc.error_dict.items():
            for error in errors:
                text = " ".join(error.messages)
                messages.append(text if field == "__all__" else f"{field}: {text}")
        return DomainError("; ".join(messages), field=fields[0] if fields else None, fields=fields,
                           code="validation")
    return DomainError(" ".join(exc.messages), code="validation")


def clean_or_raise(obj, *, exclude: list[str] | None = None) -> None:
    """Validate field values (lengths, choices, digits) without the per-constraint queries."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise as_domain_error(exc) from exc


# Limits of the long texts users write (TextFields have no length in the database): refused, never cut.
NOTES_MAX = 10_000
COMMENT_MAX = 4_000
REQUISITES_MAX = 4_000
ANSWER_MAX = 4_000


def check_text(value: str, *, field: str, limit: int, label: str | None = None) -> str:
    """``value`` when it has at most ``limit`` characters, else a DomainError on ``field`` that says so."""
    if len(value) > limit:
        message = _("At most %(limit)s characters, now %(length)s.") % {"limit": f"{limit:,}".replace(",", " "),
                                                                       "length": f"{len(value):,}".replace(",", " ")}
        raise DomainError(f"{label}: {message}" if label else message, field=field, code="too_long")
    return value
