"""Forms and domain errors: one way to show a service's refusal on the form that asked for it."""

from __future__ import annotations

from collections.abc import Callable

from voronka.core.errors import DomainError


def apply_domain_error(form, exc: DomainError, *, field_for: Callable[[str], str | None] | None = None) -> None:
    """Put the error on the field it names, and on every other field it names that is still empty
    (``MissingFields``: a field the user did fill in is not marked).

    ``field_for`` maps a service field key to the form's field name when they differ; a key the form does
    not have makes the message a non-field error, so no refusal is ever lost.
    """
    def name_of(key: str | None) -> str | None:
        if not key:
            return None
        name = field_for(key) if field_for is not None else key
        return name if name in form.fields else None

    first = name_of(exc.field)
    form.add_error(first, exc.message)
    for key in exc.fields:
        name = name_of(key)
        if name and name != first and name not in form.errors and _is_empty(form, name):
            form.add_error(name, exc.message)


def _is_empty(form, name: str) -> bool:
    if not form.is_bound:
        return True
    value = form[name].data
    if isinstance(value, str):
        value = value.strip()
    return value in (None, "", [], ())
