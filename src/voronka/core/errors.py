"""The one hierarchy of domain errors; the API and the UI map them to responses."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the operation. HTTP 400."""

    status = 400
    default_code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.fields = list(fields or ([field] if field else []))
        self.code = code or self.default_code

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field, "fields": self.fields}


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class MissingFields(DomainError):
    """Required fields are empty; ``fields`` names every one of them."""

    default_code = "required_fields_missing"
