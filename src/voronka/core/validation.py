"""Turn Django validation errors into domain errors with a field name."""

from __future__ import annotations

from django.core.exceptions import ValidationError

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
